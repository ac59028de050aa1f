import BerthArchive
import BerthDockerfile
import BerthOCI
import BerthStore
import Foundation
import Glibc

/// RUN: a step in a container.
extension ImageBuilder {
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
        let env = Self.runEnvironment(imageEnv: state.cc.env ?? [], args: args, buildArgs: options.buildArgs)
        let argText = args.isEmpty ? "" : "|\(args.count) " + args.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") + " "
        let createdBy = argText + argv.joined(separator: " ")
        let key = BuildCacheKey(parent: state.record?.id, instruction: "RUN \(Self.json(argv)) network=\(network) mounts=\(r.mounts.map { "\($0.kind.rawValue):\($0.target):\($0.source ?? ""):\($0.id ?? "")" })", buildArgs: args)
        if let cachedImage = await cached(key) { return try reuse(cachedImage, &state) }
        guard let image = state.record else {
            throw EngineError(.invalid, "cannot RUN in an empty (scratch) image: there is no shell; COPY a filesystem in first")
        }
        let step = Engine.RunStep(image: image.id, argv: argv, env: env, user: state.cc.user ?? "",
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

    /// A RUN container's environment: the image's ENV, then the ARGs in scope that ENV does not
    /// set, then — as Docker does — the predefined proxy args (`http_proxy`, `NO_PROXY`, …) given
    /// with `--build-arg` but not declared with ARG. Those reach the command only: they stay out
    /// of the cache key, the history and the image's config, so a build behind a proxy makes the
    /// same image, and reuses the same cache, as one without.
    static func runEnvironment(imageEnv: [String], args: [String: String], buildArgs: [String: String?]) -> [String] {
        var inScope = args
        for (k, v) in buildArgs where proxyArgs.contains(k) && args[k] == nil {
            if let v { inScope[k] = v }
        }
        let envKeys = Set(imageEnv.map { String($0.prefix { $0 != "=" }) })
        return imageEnv + inScope.filter { !envKeys.contains($0.key) }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
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
}
