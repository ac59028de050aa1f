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

    // MARK: FROM

    func from(_ stage: Stage) async throws -> State {
        step += 1
        say("Step \(step)/\(totalSteps) : FROM \(stage.base)\(stage.name.map { " AS \($0)" } ?? "")\n")
        for a in file.globalArgs where globalArgs[a.name] != nil { usedArgs.insert(a.name) }
        let base = try located(stage.location, "FROM") { try self.expandGlobal(stage.base) }
        if let p = stage.platform, !p.isEmpty {
            let platform = try expandGlobal(p)
            if !platform.isEmpty, platform != Platform.host.description, platform != "linux", platform != "$BUILDPLATFORM", platform != "$TARGETPLATFORM" {
                throw located(stage.location, "FROM", EngineError(.invalid, "platform \(platform) is not supported; berth builds for this host (\(Platform.host))"))
            }
        }
        var state: State
        if base.lowercased() == "scratch" {
            state = State(record: nil, config: ImageConfig(architecture: Platform.host.architecture, os: Platform.host.os, config: ContainerConfig(),
                                                           rootfs: .init(diffIDs: []), history: [], created: nil))
            say(" ---> scratch\n")
        } else if let s = file.stage(named: base), s.index < stage.index, let built = stageImages[s.index] {
            state = try self.state(of: built)
            say(" ---> \(built?.id.short ?? "scratch")\n")
        } else {
            let record = try await locatedAsync(stage.location, "FROM") { try await self.image(base, pull: self.options.pull) }
            state = try self.state(of: record)
            say(" ---> \(record.id.short)\n")
        }
        if file.stages.last?.index == stage.index || options.target.map({ file.stage(named: $0)?.index == stage.index }) == true {
            squashBase = state.record
        }
        // ONBUILD triggers of the base run first, then leave the image.
        let triggers = state.cc.onBuild ?? []
        if !triggers.isEmpty {
            state.cc.onBuild = nil
            for t in triggers {
                say("# Executing 1 build trigger\n")
                let trigger: Instruction
                do { trigger = try Instruction.parseTrigger(t, location: stage.location, escape: file.escape) } catch {
                    throw located(stage.location, "FROM", EngineError(.invalid, "the base image's ONBUILD \(t) is invalid: \(error.description)"))
                }
                try await run(trigger, &state)
            }
        }
        return state
    }

    func state(of record: ImageRecord?) throws -> State {
        guard let record else {
            return State(record: nil, config: ImageConfig(architecture: Platform.host.architecture, os: Platform.host.os, config: ContainerConfig(),
                                                          rootfs: .init(diffIDs: []), history: [], created: nil))
        }
        return State(record: record, config: try ImageConfig.decode(try engine.content.read(record.id)))
    }

    /// A local image, pulled when absent (or always with --pull).
    func image(_ name: String, pull: Bool) async throws -> ImageRecord {
        if !pull, let r = try? await engine.images.resolve(name) { return r }
        let ref: Reference
        do { ref = try Reference(parsing: name) } catch { throw EngineError(.invalid, "invalid reference format: \(name)") }
        say("Pulling \(ref.familiar)\n")
        let creds = options.credentials[ref.domain] ?? options.credentials["https://index.docker.io/v1/"]
        do {
            return try await engine.pull(ref, credentials: creds) { [weak self] e in
                if case .status(let s, _) = e { self?.say(s + "\n") }
            }
        } catch {
            if pull, let r = try? await engine.images.resolve(name) { return r }
            throw error
        }
    }

    // MARK: steps

    func execute(_ ins: Instruction, _ state: inout State) async throws {
        step += 1
        say("Step \(step)/\(totalSteps) : \(ins.original)\n")
        try await run(ins, &state)
    }

    /// Runs one instruction; errors name the Dockerfile line.
    func run(_ ins: Instruction, _ state: inout State) async throws {
        let keyword = ins.command.keyword
        do {
            try await dispatch(ins, &state)
        } catch let e as EngineError {
            if e.message.hasPrefix("\(ins.location.file):") { throw e }
            throw EngineError(e.kind, "\(ins.location.file):\(ins.location.line): \(keyword): \(e.message)")
        } catch let e as BuildFailure {
            throw BuildFailure(message: "\(e.message) (\(ins.location.file):\(ins.location.line))", exitCode: e.exitCode)
        } catch let e as DockerfileError {
            throw EngineError(.invalid, e.description)
        } catch {
            throw EngineError(.internalError, "\(ins.location.file):\(ins.location.line): \(keyword): \(error)")
        }
    }

    func locatedAsync<T>(_ loc: SourceLocation, _ keyword: String, _ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch { throw located(loc, keyword, error) }
    }

    func located<T>(_ loc: SourceLocation, _ keyword: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw located(loc, keyword, error) }
    }

    func located(_ loc: SourceLocation, _ keyword: String, _ error: any Error) -> EngineError {
        let e = EngineError.from(error)
        if e.message.hasPrefix("\(loc.file):") { return e }
        return EngineError(e.kind, "\(loc.file):\(loc.line): \(keyword): \(e.message)")
    }

    /// The variables an instruction's words expand with: the stage's ARGs, overridden by its ENV.
    func expander(_ state: State) -> VariableExpander {
        var vars: [String: String] = [:]
        for (k, v) in state.args { if let v { vars[k] = v } }
        for e in state.cc.env ?? [] {
            let p = e.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            vars[String(p[0])] = p.count > 1 ? String(p[1]) : ""
        }
        return VariableExpander(variables: vars, escape: file.escape)
    }

    func dispatch(_ ins: Instruction, _ state: inout State) async throws {
        let x = expander(state)
        switch ins.command {
        case .run(let r):
            try await runStep(r, ins, &state)
        case .copy(let c):
            try await copyStep(c, ins, add: false, &state)
        case .add(let c):
            try await copyStep(c, ins, add: true, &state)
        case .env(let pairs):
            let expanded = try pairs.map { (try x.expand($0.key), try x.expand($0.value)) }
            try await metadata("ENV", expanded.map { "\($0.0)=\($0.1)" }.joined(separator: " "), &state) { cc in
                var env = cc.env ?? []
                for (k, v) in expanded {
                    env.removeAll { $0 == k || $0.hasPrefix(k + "=") }
                    env.append("\(k)=\(v)")
                }
                cc.env = env
            }
        case .arg(let decls):
            for d in decls {
                var value: String?
                if let v = options.buildArgs[d.name] ?? nil {
                    value = v
                    usedArgs.insert(d.name)
                } else if let def = d.defaultValue {
                    value = try x.expand(def)
                } else if let g = globalArgs[d.name] {
                    value = g
                }
                state.args[d.name] = .some(value)
            }
            let text = decls.map { d in (state.args[d.name] ?? nil).map { "\(d.name)=\($0)" } ?? d.name }.joined(separator: " ")
            try await metadata("ARG", text, &state) { _ in }
        case .label(let pairs):
            let expanded = try pairs.map { (try x.expand($0.key), try x.expand($0.value)) }
            try await metadata("LABEL", expanded.map { "\($0.0)=\($0.1)" }.joined(separator: " "), &state) { cc in
                var l = cc.labels ?? [:]
                for (k, v) in expanded { l[k] = v }
                cc.labels = l
            }
        case .workdir(let w):
            let dir = try x.expand(w)
            let current = (state.cc.workingDir ?? "").isEmpty ? "/" : state.cc.workingDir!
            let path = CopyPath.clean(dir.hasPrefix("/") ? dir : current + "/" + dir)
            try await workdirStep(path, &state)
        case .user(let u):
            let user = try x.expand(u)
            try await metadata("USER", user, &state) { $0.user = user }
        case .expose(let words):
            var ports: [String] = []
            for w in words { ports += try x.expandWords(w) }
            for p in ports {
                let num = p.split(separator: "/")[0].split(separator: "-")[0]
                guard let n = Int(num), (1...65535).contains(n) else { throw EngineError(.invalid, "invalid containerPort: \(p)") }
            }
            try await metadata("EXPOSE", ports.joined(separator: " "), &state) { cc in
                var e = cc.exposedPorts ?? [:]
                for p in ports { e[p.contains("/") ? p.lowercased() : "\(p)/tcp"] = ContainerConfig.Empty() }
                cc.exposedPorts = e
            }
        case .volume(let words):
            var vols: [String] = []
            for w in words { vols += try x.expandWords(w) }
            guard !vols.isEmpty, !vols.contains(where: \.isEmpty) else { throw EngineError(.invalid, "VOLUME specified can not be an empty string") }
            try await metadata("VOLUME", "[\(vols.joined(separator: " "))]", &state) { cc in
                var v = cc.volumes ?? [:]
                for p in vols { v[p] = ContainerConfig.Empty() }
                cc.volumes = v
            }
        case .cmd(let form):
            let argv = self.argv(form, state)
            state.cmdSet = true
            try await metadata("CMD", Self.json(argv), &state) { $0.cmd = argv }
        case .entrypoint(let form):
            let argv = self.argv(form, state)
            let keepCmd = state.cmdSet
            try await metadata("ENTRYPOINT", Self.json(argv), &state) { cc in
                cc.entrypoint = argv
                if !keepCmd { cc.cmd = nil }
            }
        case .shell(let shell):
            guard !shell.isEmpty else { throw EngineError(.invalid, "SHELL requires the arguments to be in JSON form, e.g. SHELL [\"/bin/bash\", \"-c\"]") }
            try await metadata("SHELL", Self.json(shell), &state) { $0.shell = shell }
        case .healthcheck(let h):
            let check = try Self.healthcheck(h, shell: state.cc.shell ?? ["/bin/sh", "-c"])
            try await metadata("HEALTHCHECK", ins.original, &state) { $0.healthcheck = check }
        case .stopsignal(let s):
            let sig = try x.expand(s)
            try await metadata("STOPSIGNAL", sig, &state) { $0.stopSignal = sig }
        case .onbuild(let inner):
            try await metadata("ONBUILD", inner.original, &state) { cc in cc.onBuild = (cc.onBuild ?? []) + [inner.original] }
        case .maintainer(let m):
            state.config.author = m
            try await metadata("MAINTAINER", m, &state) { _ in }
        }
    }

    func argv(_ form: CommandForm, _ state: State) -> [String] {
        switch form {
        case .exec(let a): return a
        case .shell(let s): return (state.cc.shell ?? ["/bin/sh", "-c"]) + [s]
        }
    }

    static func json(_ a: [String]) -> String {
        (try? String(decoding: JSONSerialization.data(withJSONObject: a, options: [.withoutEscapingSlashes]), as: UTF8.self)) ?? "\(a)"
    }

    static func healthcheck(_ h: HealthcheckCommand, shell: [String]) throws -> ContainerConfig.Healthcheck {
        switch h {
        case .none: return ContainerConfig.Healthcheck(test: ["NONE"])
        case .check(let test, let interval, let timeout, let startPeriod, let startInterval, let retries):
            var c: ContainerConfig.Healthcheck
            switch test {
            case .exec(let a): c = ContainerConfig.Healthcheck(test: ["CMD"] + a)
            case .shell(let s): c = ContainerConfig.Healthcheck(test: ["CMD-SHELL", s])
            }
            func d(_ s: String?) throws -> Int64? { try s.map { try GoDuration.parse($0) } }
            c.interval = try d(interval)
            c.timeout = try d(timeout)
            c.startPeriod = try d(startPeriod)
            c.startInterval = try d(startInterval)
            c.retries = retries
            return c
        }
    }
}
