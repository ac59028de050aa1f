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
        if let ignore = try context.read(".dockerignore") {
            let rules = DockerIgnore(ignore)
            if !rules.invalidPatterns.isEmpty {
                throw EngineError(.invalid, ".dockerignore: invalid pattern \(rules.invalidPatterns.joined(separator: ", ")); fix or remove it")
            }
            context.applyIgnore(keep: [dockerfileName, ".dockerignore"], isExcluded: { rules.isExcluded($0) }, mayReinclude: { rules.mayReinclude(under: $0) })
        }
        guard let text = try context.read(dockerfileName) else {
            throw EngineError(.invalid, "Cannot locate specified Dockerfile: \(options.dockerfile)")
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

    /// `builder prune` (`POST /build/prune`): forgets the build cache and deletes the
    /// intermediate images no container and no tag uses; returns the bytes freed.
    public func pruneBuildCache() async throws -> (deleted: [Digest], reclaimed: Int64) {
        let stored = Set(await images.images().map(\.id))
        let cached = try await buildCache.removeAll(keeping: stored)
        let used = Set(await containers.all().map(\.imageID))
        var deleted: [Digest] = []
        for id in cached.sorted() where !used.contains(id) {
            guard (await images.tags(of: id)).isEmpty, await buildCache.isResultImage(id) == false else { continue }
            try await images.delete(id)
            deleted.append(id)
        }
        let freed = await collectGarbage()
        return (deleted, freed)
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
        let keyword = Self.keyword(ins.command)
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

    static func keyword(_ c: Command) -> String {
        switch c {
        case .run: "RUN"
        case .copy: "COPY"
        case .add: "ADD"
        case .env: "ENV"
        case .arg: "ARG"
        case .label: "LABEL"
        case .workdir: "WORKDIR"
        case .user: "USER"
        case .expose: "EXPOSE"
        case .volume: "VOLUME"
        case .cmd: "CMD"
        case .entrypoint: "ENTRYPOINT"
        case .shell: "SHELL"
        case .healthcheck: "HEALTHCHECK"
        case .stopsignal: "STOPSIGNAL"
        case .onbuild: "ONBUILD"
        case .maintainer: "MAINTAINER"
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

    // MARK: cache and commits

    /// Reuses the cached image for `key`, if any; else nil.
    func cached(_ key: BuildCacheKey) async -> ImageRecord? {
        guard !options.noCache, let id = await engine.buildCache.lookup(key.digest), let r = await engine.images.image(id) else { return nil }
        return r
    }

    func reuse(_ r: ImageRecord, _ state: inout State) throws {
        state.record = r
        let cmdSet = state.cmdSet
        let args = state.args
        state = try self.state(of: r)
        state.cmdSet = cmdSet
        state.args = args
        say(" ---> Using cache\n ---> \(r.id.short)\n")
    }

    func commit(_ state: inout State, layer: Descriptor?, createdBy: String, key: BuildCacheKey?) async throws {
        let r = try await engine.commitBuildStep(parent: state.record, config: state.config, layer: layer, createdBy: createdBy, lease: lease)
        if let key { try await engine.buildCache.record(key.digest, image: r.id) }
        let cmdSet = state.cmdSet
        let args = state.args
        state = try self.state(of: r)
        state.cmdSet = cmdSet
        state.args = args
    }

    /// A step that only changes the config: an empty-layer history entry.
    func metadata(_ keyword: String, _ text: String, _ state: inout State, _ change: (inout ContainerConfig) -> Void) async throws {
        let key = BuildCacheKey(parent: state.record?.id, instruction: "\(keyword) \(text)", buildArgs: visibleArgs(state))
        if let r = await cached(key) { return try reuse(r, &state) }
        var cc = state.cc
        change(&cc)
        state.cc = cc
        try await commit(&state, layer: nil, createdBy: "/bin/sh -c #(nop)  \(keyword) \(text)", key: key)
        say(" ---> \(state.record!.id.short)\n")
    }

    /// The ARGs of the stage that have values (they are part of every step's cache key, as
    /// they reach RUN's environment).
    func visibleArgs(_ state: State) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in state.args { if let v { out[k] = v } }
        return out
    }

    // MARK: RUN

    func runStep(_ r: RunCommand, _ ins: Instruction, _ state: inout State) async throws {
        let shell = state.cc.shell ?? ["/bin/sh", "-c"]
        var argv: [String]
        switch r.form {
        case .exec(let a): argv = a
        case .shell(let line):
            if r.heredocs.isEmpty {
                argv = shell + [line]
            } else if line.trimmingCharacters(in: .whitespaces).hasPrefix("<<"), r.heredocs.count == 1 {
                // RUN <<EOF: the heredoc is the script.
                argv = shell + [r.heredocs[0].content]
            } else {
                // RUN cmd <<EOF: the shell reads the heredocs itself.
                var script = line
                for h in r.heredocs {
                    script += "\n" + h.content + (h.content.hasSuffix("\n") || h.content.isEmpty ? "" : "\n") + h.name
                }
                argv = shell + [script + "\n"]
            }
        }
        let network: String
        switch r.network ?? options.networkMode {
        case "", "default", "bridge": network = "bridge"
        case "none": network = "none"
        case "host": network = "host"
        case let other: throw EngineError(.invalid, "--network=\(other) is not supported for RUN; use default, none or host")
        }
        let args = visibleArgs(state)
        var binds: [String] = []
        for m in r.mounts { binds.append(try bind(for: m, state)) }
        var env = args.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let envKeys = Set((state.cc.env ?? []).map { String($0.prefix { $0 != "=" }) })
        env.removeAll { envKeys.contains(String($0.prefix { $0 != "=" })) }
        let argText = args.isEmpty ? "" : "|\(args.count) " + args.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") + " "
        let createdBy = argText + argv.joined(separator: " ")
        let key = BuildCacheKey(parent: state.record?.id, instruction: "RUN \(Self.json(argv)) network=\(network) mounts=\(r.mounts.map { "\($0.kind.rawValue):\($0.target):\($0.source ?? ""):\($0.id ?? "")" })", buildArgs: args)
        if let cachedImage = await cached(key) { return try reuse(cachedImage, &state) }
        guard let image = state.record else {
            throw EngineError(.invalid, "cannot RUN in an empty (scratch) image: there is no shell; COPY a filesystem in first")
        }
        let step = Engine.RunStep(image: image.id, argv: argv, env: (state.cc.env ?? []) + env, user: state.cc.user ?? "",
                                  workdir: state.cc.workingDir ?? "", network: network, binds: binds)
        let quiet = options.quiet
        let events = self.events
        let (id, code) = try await engine.runBuildContainer(step, started: { say(" ---> Running in \($0.prefix(12))\n") }) { text in
            if !quiet { events(.stream(text)) }
        }
        do {
            guard code == 0 else {
                throw BuildFailure(message: "The command '\(argv.joined(separator: " "))' returned a non-zero code: \(code)", exitCode: code)
            }
            let layer = try await engine.buildLayer(fromContainer: id, imageLayers: engine.layerDirectories(image), lease: lease)
            try await commit(&state, layer: layer, createdBy: createdBy, key: key)
        } catch {
            try? await engine.removeContainer(id, force: true, volumes: true)
            throw error
        }
        if options.removeIntermediate {
            try? await engine.removeContainer(id, force: true, volumes: true)
            say("Removing intermediate container \(id.prefix(12))\n")
        }
        say(" ---> \(state.record!.id.short)\n")
    }

    /// `RUN --mount`: a cache directory kept under the data root, or a read-only bind of the context.
    func bind(for m: RunMount, _ state: State) throws -> String {
        let target = m.target.hasPrefix("/") ? m.target : CopyPath.join(state.cc.workingDir ?? "/", m.target)
        switch m.kind {
        case .cache:
            let id = m.id ?? target
            let dir = "\(engine.dataRoot)/build-mounts/\(Digest.sha256(of: Array(id.utf8)).encoded)"
            try FileSystem.makeDirectory("\(engine.dataRoot)/build-mounts", mode: 0o700)
            try FileSystem.makeDirectory(dir, mode: 0o755)
            return "\(dir):\(target)"
        case .bind:
            guard m.from == nil else { throw EngineError(.invalid, "--mount=type=bind,from=… is not supported by berth yet; COPY --from the files instead") }
            guard m.readOnly else { throw EngineError(.invalid, "--mount=type=bind,rw is not supported by berth (writes would reach the build context); drop rw") }
            let source = try CopyStep.resolveBeneath(context.root, m.source ?? ".", refuseEscape: true, instruction: "RUN --mount", original: m.source ?? ".")
            return "\(source):\(target):ro"
        default:
            throw EngineError(.invalid, "--mount=type=\(m.kind.rawValue) is not supported by berth's builder; use type=cache or type=bind")
        }
    }

    // MARK: WORKDIR

    func workdirStep(_ path: String, _ state: inout State) async throws {
        let key = BuildCacheKey(parent: state.record?.id, instruction: "WORKDIR \(path)", buildArgs: visibleArgs(state))
        if let r = await cached(key) { return try reuse(r, &state) }
        state.cc.workingDir = path
        var layer: Descriptor?
        let layers = engine.layerDirectories(state.record)
        let exists = try await Blocking.run { () throws -> Bool in
            let view = try LayerView(layers: layers)
            guard let d = try view.directory(at: path) else { return false }
            d.close()
            return true
        }
        if !exists {
            let staging = engine.scratchPath("-workdir")
            try FileSystem.makeDirectory(staging, mode: 0o755)
            defer { FileSystem.removeTree(staging) }
            let lookup = parentStat(layers)
            try CopyStep.makeParents(of: path + "/x", staging: staging, owner: nil, parentStat: lookup)
            layer = try await engine.buildLayer(fromDirectory: staging, lease: lease)
        }
        try await commit(&state, layer: layer, createdBy: "/bin/sh -c #(nop) WORKDIR \(path)", key: key)
        say(" ---> \(state.record!.id.short)\n")
    }

    /// The stat of a path in the top-most layer that has it.
    nonisolated func parentStat(_ layers: [String]) -> @Sendable (String) -> stat? {
        { path in
            for l in layers {
                var st = stat()
                if lstat(l + path, &st) == 0 { return (st.st_mode & S_IFMT) == S_IFDIR ? st : nil }
            }
            return nil
        }
    }

    // MARK: COPY / ADD

    func copyStep(_ c: CopyCommand, _ ins: Instruction, add: Bool, _ state: inout State) async throws {
        let keyword = add ? "ADD" : "COPY"
        let x = expander(state)
        // Sources: the context, another stage or an image.
        var root = context.root
        var fromContext = true
        if let fromWord = c.from {
            let from = try x.expand(fromWord)
            fromContext = false
            if let s = file.stage(named: from), let built = stageImages[s.index] {
                root = try await materialize(built)
            } else if let n = Int(from) {
                throw EngineError(.invalid, "--from=\(n): no stage \(n) was built before this one")
            } else {
                root = try await materialize(try await image(from, pull: false))
            }
        }
        let tmp = engine.scratchPath("-copy")
        scratchDirs.append(tmp)
        try FileSystem.makeDirectory(tmp, mode: 0o700)
        var sources: [CopyStep.Source] = []
        var patterns: [String] = []
        for (i, h) in c.heredocs.enumerated() {
            let text = h.expand && h.content.contains("$") ? try x.expand(h.content) : h.content
            let path = "\(tmp)/heredoc-\(i)"
            try FileSystem.makeDirectory(path, mode: 0o755)
            guard FileManager.default.createFile(atPath: "\(path)/\(h.name)", contents: Data(text.utf8), attributes: [.posixPermissions: 0o644]) else {
                throw EngineError(.internalError, "cannot write the heredoc \(h.name)")
            }
            sources.append(CopyStep.Source(relative: h.name, host: "\(path)/\(h.name)"))
        }
        for s in c.sources {
            if add, s.hasPrefix("http://") || s.hasPrefix("https://") {
                sources.append(try await download(try x.expand(s), into: tmp))
            } else {
                patterns.append(try x.expand(s))
            }
        }
        let instructionName = keyword
        let fromContextCopy = fromContext
        let root0 = root
        let pats = patterns
        sources += try await Blocking.run { try CopyStep.expand(pats, root: root0, context: fromContextCopy, instruction: instructionName) }
        guard !sources.isEmpty else { throw EngineError(.invalid, "\(keyword) failed: no source files were specified") }
        let dest = CopyStep.destinationPath(try x.expand(c.destination), workdir: state.cc.workingDir ?? "/")
        let layers = engine.layerDirectories(state.record)
        let owner = try c.chown.map { try resolveOwner(try x.expand($0), layers: layers) }
        var mode: mode_t?
        if let m = c.chmod {
            guard let v = mode_t(try x.expand(m), radix: 8), v <= 0o7777 else { throw EngineError(.invalid, "invalid --chmod=\(m): give an octal mode such as 755") }
            mode = v
        }
        let srcs = sources
        let checksums = try await Blocking.run { CopyStep.checksums(srcs) }
        let key = BuildCacheKey(parent: state.record?.id, instruction: "\(keyword) \(Self.json(sources.map(\.relative))) \(dest) owner=\(owner.map { "\($0.uid):\($0.gid)" } ?? "") mode=\(mode.map { String($0, radix: 8) } ?? "")",
                                buildArgs: visibleArgs(state), files: checksums)
        let summary = Digest.sha256(of: Array(checksums.joined(separator: "\n").utf8)).encoded
        let createdBy = "/bin/sh -c #(nop) \(keyword) \(sources.count == 1 ? "file" : "multi"):\(summary) in \(dest) "
        if let r = await cached(key) { return try reuse(r, &state) }
        let destIsDir = try await Blocking.run { () throws -> Bool in
            guard dest != "/" else { return true }
            let view = try LayerView(layers: layers)
            guard let d = try view.directory(at: dest) else { return false }
            d.close()
            return true
        }
        let staging = "\(tmp)/staging"
        try FileSystem.makeDirectory(staging, mode: 0o755)
        let lookup = parentStat(layers)
        let extract = add
        let fileMode = mode
        try await Blocking.run {
            let placed = try CopyStep.placements(srcs, destination: dest, isDirectory: { p in
                var st = stat()
                return stat(p, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
            }, destinationIsDirectory: destIsDir)
            for (s, target) in placed {
                // ADD of a local archive: its contents go into the destination directory.
                let unpack = extract && !s.host.hasPrefix(tmp) && CopyStep.isArchive(s.host)
                let into = dest.count > 1 && dest.hasSuffix("/") ? String(dest.dropLast()) : dest
                try CopyStep.stage(s, target: unpack ? into : target, staging: staging, owner: owner, mode: fileMode,
                                   extract: unpack, parentStat: lookup)
            }
        }
        let layer = try await engine.buildLayer(fromDirectory: staging, lease: lease)
        FileSystem.removeTree(tmp)
        try await commit(&state, layer: layer, createdBy: createdBy, key: key)
        say(" ---> \(state.record!.id.short)\n")
    }

    /// ADD <url>: the file, named after the URL's last element, mode 0600 as Docker makes it.
    func download(_ url: String, into dir: String) async throws -> CopyStep.Source {
        guard let u = URL(string: url) else { throw EngineError(.invalid, "ADD: invalid URL \(url)") }
        let name = u.lastPathComponent.isEmpty || u.lastPathComponent == "/" ? "download" : u.lastPathComponent
        let path = "\(dir)/url-\(UUID().uuidString)"
        try FileSystem.makeDirectory(path, mode: 0o755)
        let data = try await engine.fetchURL(url)
        guard FileManager.default.createFile(atPath: "\(path)/\(name)", contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw EngineError(.internalError, "ADD: cannot store the download of \(url)")
        }
        return CopyStep.Source(relative: name, host: "\(path)/\(name)")
    }

    /// `--chown=user[:group]` against the image's /etc/passwd and /etc/group (numbers as they are).
    func resolveOwner(_ spec: String, layers: [String]) throws -> (uid: UInt32, gid: UInt32) {
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        func lookup(_ name: String, _ file: String) throws -> (UInt32, UInt32?) {
            if let n = UInt32(name) { return (n, nil) }
            for l in layers {
                guard let text = try? String(contentsOfFile: "\(l)/etc/\(file)", encoding: .utf8) else { continue }
                for line in text.split(separator: "\n") {
                    let f = line.split(separator: ":", omittingEmptySubsequences: false)
                    if f.count > 3, f[0] == name, let id = UInt32(f[2]) { return (id, file == "passwd" ? UInt32(f[3]) : nil) }
                }
                break
            }
            throw EngineError(.invalid, "unable to find \(file == "passwd" ? "user" : "group") \(name): no matching entries in /etc/\(file) of the image")
        }
        let (uid, primary) = try lookup(parts[0], "passwd")
        if parts.count == 2 { return (uid, try lookup(parts[1], "group").0) }
        return (uid, primary ?? uid)
    }

    /// An image's merged filesystem in a scratch directory, for COPY --from.
    func materialize(_ record: ImageRecord?) async throws -> String {
        let key = record?.id.description ?? "scratch"
        if let d = roots[key] { return d }
        let dir = engine.scratchPath("-root")
        try FileSystem.makeDirectory(dir, mode: 0o755)
        scratchDirs.append(dir)
        roots[key] = dir
        guard let record else { return dir }
        let layers = engine.layerDirectories(record)
        let tarPath = engine.scratchPath(".tar")
        defer { unlink(tarPath) }
        try await Blocking.run {
            let fd = open(tarPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw EngineError(.internalError, "cannot create \(tarPath)") }
            defer { close(fd) }
            let view = try LayerView(layers: layers)
            _ = try TarTreeWriter.write(to: fd) { tar in try Engine.export(view, view.root, prefix: "", into: tar) }
            lseek(fd, 0, SEEK_SET)
            let d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard d >= 0 else { throw EngineError(.internalError, "cannot open \(dir)") }
            defer { close(d) }
            try CopyArchive.extract(from: fd, into: d, options: CopyArchive.Options())
        }
        return dir
    }
}
