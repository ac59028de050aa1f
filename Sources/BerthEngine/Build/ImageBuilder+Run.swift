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
        case "host":
            // A Dockerfile may not put itself on the host's network; whoever runs the build can.
            guard r.network == nil || options.networkMode == "host" || options.entitlements.contains("network.host") else {
                throw EngineError(.invalid, "RUN --network=host needs the network.host entitlement: build with --allow network.host (or --network host) if you trust this Dockerfile")
            }
            network = "host"
        case let other: throw EngineError(.invalid, "--network=\(other) is not supported for RUN; use default, none or host")
        }
        // The ARGs in scope an ENV of the same name does not hide: the step's environment, its
        // history's `|N K=V` prefix and its cache key (as Docker's FilterAllowed).
        let envKeys = Set((state.cc.env ?? []).map { String($0.prefix { $0 != "=" }) })
        let args = visibleArgs(state).filter { !envKeys.contains($0.key) }
        let env = Self.runEnvironment(imageEnv: state.cc.env ?? [], args: args, buildArgs: options.buildArgs)
        let argText = args.isEmpty ? "" : "|\(args.count) " + args.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") + " "
        let createdBy = argText + argv.joined(separator: " ")
        // The mounts as written (a secret's id, never its value), and those ARGs.
        let key = BuildCacheKey(parent: state.record?.id, instruction: "RUN \(Self.json(argv)) network=\(network) mounts=\(r.mounts.map(Self.cacheText))", buildArgs: args,
                                files: try await bindInputs(r.mounts))
        if let cachedImage = await cached(key) { return try reuse(cachedImage, &state) }
        guard let image = state.record else {
            throw EngineError(.invalid, "cannot RUN in an empty (scratch) image: there is no shell; COPY a filesystem in first")
        }
        let mounts = try await stepMounts(r.mounts, state)
        let step = Engine.RunStep(image: image.id, argv: argv, env: env + mounts.secretEnv, user: state.cc.user ?? "",
                                  workdir: state.cc.workingDir ?? "", network: network, binds: mounts.binds, tmpfs: mounts.tmpfs)
        let quiet = options.quiet
        let events = self.events
        let ran: (id: String, exitCode: Int32)
        do {
            ran = try await engine.runBuildContainer(step, started: { say(" ---> Running in \($0.prefix(12))\n") }) { text in
                if !quiet { events(.stream(text)) }
            }
        } catch {
            await release(mounts)
            throw error
        }
        await release(mounts)
        let id = ran.id
        do {
            guard ran.exitCode == 0 else {
                throw BuildFailure(message: "The command '\(argv.joined(separator: " "))' returned a non-zero code: \(ran.exitCode)", exitCode: ran.exitCode)
            }
            let layers = engine.layerDirectories(image)
            try await engine.removeMountStubs(ofContainer: id, targets: mounts.targets, imageLayers: layers)
            let layer = try await engine.buildLayer(fromContainer: id, imageLayers: layers, lease: lease)
            try await commit(&state, layer: layer, createdBy: createdBy, key: key)
        } catch {
            // As Docker's classic builder: the failed step's container stays for inspection
            // unless --force-rm (or it holds a secret in its environment).
            if options.forceRemove || !mounts.secretEnv.isEmpty {
                try? await engine.removeContainer(id, force: true, volumes: true)
                say("Removing intermediate container \(id.prefix(12))\n")
            }
            throw error
        }
        // A container whose environment holds a secret never stays (its record would keep it).
        if options.removeIntermediate || options.forceRemove || !mounts.secretEnv.isEmpty {
            try? await engine.removeContainer(id, force: true, volumes: true)
            say("Removing intermediate container \(id.prefix(12))\n")
        }
        say(" ---> \(state.record!.id.short)\n")
    }

    /// A mount as the cache key sees it: everything written in the Dockerfile.
    static func cacheText(_ m: RunMount) -> String {
        "\(m.kind.rawValue):\(m.target):\(m.source ?? ""):\(m.from ?? ""):\(m.id ?? ""):\(m.readOnly ? "ro" : "rw"):"
            + m.options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
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
}
