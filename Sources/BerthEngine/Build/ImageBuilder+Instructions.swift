import BerthArchive
import BerthDockerfile
import BerthOCI
import BerthStore
import Foundation

/// One instruction at a time: its progress line, its errors located at its Dockerfile line,
/// and what each instruction does to the stage's state.
extension ImageBuilder {
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
            // As Docker records it: the declaration (its default as written), not the value a
            // --build-arg gives; the value reaches the RUN steps' keys.
            let text = decls.map { d in d.defaultValue.map { "\(d.name)=\($0)" } ?? d.name }.joined(separator: " ")
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
