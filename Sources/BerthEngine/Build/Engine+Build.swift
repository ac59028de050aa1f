import BerthArchive
import BerthDockerfile
import BerthOCI
import BerthStore
import Foundation
import Glibc

extension Engine {
    /// `POST /build`: builds the Dockerfile of the context tar at `contextTar` step by step,
    /// each step an image reused from the cache when its inputs are unchanged. Returns the image.
    public func build(contextTar: String, options: BuildOptions, events: @escaping @Sendable (BuildEvent) -> Void) async throws -> Digest {
        let parent = "\(dataRoot)/builds"
        let context = try await Blocking.run { try BuildContext.extract(tarPath: contextTar, under: parent) }
        defer { context.remove() }
        let dockerfileName = BuildContext.clean(options.dockerfile) ?? options.dockerfile
        guard let text = try context.read(dockerfileName) else {
            throw EngineError(.invalid, "Cannot locate specified Dockerfile: \(options.dockerfile)")
        }
        // Read first, so that a Dockerfile or .dockerignore the rules exclude is read but, as
        // in Docker, not copied by COPY/ADD.
        if let ignore = try context.read(".dockerignore") {
            let rules = DockerIgnore(ignore)
            if !rules.invalidPatterns.isEmpty {
                throw EngineError(.invalid, ".dockerignore: invalid pattern \(rules.invalidPatterns.joined(separator: ", ")); fix or remove it")
            }
            context.applyIgnore(keep: [], isExcluded: { rules.isExcluded($0) }, mayReinclude: { rules.mayReinclude(under: $0) })
        }
        let file: Dockerfile
        do { file = try Dockerfile.parse(text, file: CopyPath.base(dockerfileName)) } catch {
            throw EngineError(.invalid, error.description)
        }
        return try await withLease { lease in
            let builder = ImageBuilder(engine: self, context: context, file: file, options: options, lease: lease, events: events)
            do {
                let id = try await builder.run()
                await builder.cleanUp()
                return id
            } catch {
                await builder.cleanUp()
                throw error
            }
        }
    }
}

/// One build: the stages the target needs, each step through the cache. Stages run as tasks
/// on this actor, each once the stages it uses are done, so independent stages overlap while
/// their steps wait on containers and files.
actor ImageBuilder {
    let engine: Engine
    let context: BuildContext
    let file: Dockerfile
    let options: Engine.BuildOptions
    let lease: UUID
    let events: @Sendable (Engine.BuildEvent) -> Void
    var step = 0
    var totalSteps = 0
    /// The image each built stage ended with (nil: an empty scratch stage).
    var stageImages: [Int: ImageRecord?] = [:]
    /// Image roots materialized for `COPY --from`, by image id.
    var roots: [String: String] = [:]
    var scratchDirs: [String] = []
    var usedArgs = Set<String>()

    /// A stage's state as its steps run.
    struct State {
        var record: ImageRecord?
        var config: ImageConfig
        /// ARGs declared in the stage, with their values (nil: declared without a value).
        var args: [String: String?] = [:]
        var cmdSet = false
        var cc: ContainerConfig {
            get { config.config ?? ContainerConfig() }
            set { config.config = newValue }
        }
    }

    static let proxyArgs: Set<String> = ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"]

    init(engine: Engine, context: BuildContext, file: Dockerfile, options: Engine.BuildOptions, lease: UUID, events: @escaping @Sendable (Engine.BuildEvent) -> Void) {
        self.engine = engine
        self.context = context
        self.file = file
        self.options = options
        self.lease = lease
        self.events = events
    }

    func cleanUp() { for d in scratchDirs { FileSystem.removeTree(d) } }

    nonisolated func say(_ text: String) { if !options.quiet { events(.stream(text)) } }

    /// The values of the ARGs before the first FROM (defaults, overridden by --build-arg).
    lazy var globalArgs: [String: String] = {
        var out: [String: String] = [:]
        for a in file.globalArgs {
            if let v = options.buildArgs[a.name] ?? nil { out[a.name] = v; usedArgs.insert(a.name) } else if let d = a.defaultValue {
                out[a.name] = (try? VariableExpander(variables: out, escape: file.escape).expand(d)) ?? d
            }
        }
        return out
    }()

    func run() async throws -> Digest {
        guard !file.stages.isEmpty else { throw EngineError(.invalid, "\(options.dockerfile): the Dockerfile has no FROM instruction; start it with FROM <image> or FROM scratch") }
        let target: Stage
        if let t = options.target, !t.isEmpty {
            guard let s = file.stage(named: t) else { throw EngineError(.invalid, "failed to reach build target \(t) in Dockerfile: no stage is named \(t)") }
            target = s
        } else {
            target = file.stages[file.stages.count - 1]
        }
        for w in file.warnings { say("[Warning] \(w)\n") }
        let needed = try neededStages(target)
        totalSteps = file.stages.filter { needed.contains($0.index) }.reduce(0) { $0 + 1 + $1.instructions.count }
            + (options.labels.isEmpty ? 0 : 1)
        // Each needed stage as a task that first waits for the stages it uses.
        var tasks: [Int: Task<State, any Error>] = [:]
        for stage in file.stages where needed.contains(stage.index) {
            let deps = dependencies(of: stage).compactMap { tasks[$0] }
            let isTarget = stage.index == target.index
            tasks[stage.index] = Task {
                for d in deps { _ = try await d.value }
                return try await self.buildStage(stage, isTarget: isTarget)
            }
        }
        var last: State?
        do {
            for stage in file.stages where needed.contains(stage.index) {
                let state = try await tasks[stage.index]!.value
                if stage.index == target.index { last = state }
            }
        } catch {
            for t in tasks.values { t.cancel() }
            for t in tasks.values { _ = try? await t.value }
            throw error
        }
        guard var final = last else { throw EngineError(.internalError, "no stage was built") }
        if final.record == nil {
            // FROM scratch with no steps: an image with no layers, as Docker makes.
            try await commit(&final, layer: nil, createdBy: "", key: nil)
        }
        var result = final.record!
        let unused = options.buildArgs.keys.filter { !usedArgs.contains($0) && !Self.proxyArgs.contains($0) }.sorted()
        if !unused.isEmpty { say("[Warning] One or more build-args [\(unused.joined(separator: " "))] were not consumed\n") }
        if options.squash { result = try await engine.squash(result, base: squashBase, lease: lease) }
        try await engine.buildCache.markResult(result.id)
        events(.built(result.id))
        say("Successfully built \(result.id.short)\n")
        for t in options.tags {
            try await engine.images.tag(result.id, as: t)
            await engine.emitImage("tag", result.id, name: t.familiar)
            say("Successfully tagged \(t.familiar)\n")
        }
        return result.id
    }

    /// Runs one stage's steps; records its image for the stages after it.
    func buildStage(_ stage: Stage, isTarget: Bool) async throws -> State {
        var state = try await from(stage)
        for ins in stage.instructions {
            try Task.checkCancellation()
            try await execute(ins, &state)
        }
        if isTarget, !options.labels.isEmpty {
            let labels = options.labels.sorted { $0.key < $1.key }
            step += 1
            say("Step \(step)/\(totalSteps) : LABEL \(labels.map { "\($0.key)=\($0.value)" }.joined(separator: " "))\n")
            try await metadata("LABEL", labels.map { "\($0.key)=\($0.value)" }.joined(separator: " "), &state) { cc in
                var l = cc.labels ?? [:]
                for (k, v) in labels { l[k] = v }
                cc.labels = l
            }
        }
        stageImages[stage.index] = state.record
        return state
    }

    /// The base of the target stage, for --squash: its layers stay as they are.
    var squashBase: ImageRecord?

    /// The stages `target` depends on (FROM another stage, COPY --from), itself included.
    func neededStages(_ target: Stage) throws -> Set<Int> {
        var needed = Set<Int>()
        var pending = [target.index]
        while let i = pending.popLast() {
            guard needed.insert(i).inserted else { continue }
            pending += dependencies(of: file.stages[i])
        }
        return needed
    }

    /// The earlier stages a stage uses: its FROM, COPY --from, RUN --mount from.
    func dependencies(of stage: Stage) -> Set<Int> {
        var out = Set<Int>()
        let i = stage.index
        let base = (try? expandGlobal(stage.base)) ?? stage.base
        if let s = file.stage(named: base), s.index < i { out.insert(s.index) }
        for ins in stage.instructions {
            switch ins.command {
            case .copy(let c), .add(let c):
                if let from = c.from, let s = file.stage(named: (try? expandGlobal(from)) ?? from), s.index < i { out.insert(s.index) }
            case .run(let r):
                for m in r.mounts { if let from = m.from, let s = file.stage(named: from), s.index < i { out.insert(s.index) } }
            default: break
            }
        }
        return out
    }

    func expandGlobal(_ word: String) throws -> String {
        do { return try VariableExpander(variables: globalArgs, escape: file.escape).expand(word) } catch { throw EngineError(.invalid, error.description) }
    }
}
