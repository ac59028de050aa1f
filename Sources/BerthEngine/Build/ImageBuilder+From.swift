import BerthArchive
import BerthDockerfile
import BerthOCI
import BerthStore
import Foundation

/// `FROM`: a stage's base (scratch, an earlier stage, or an image pulled when missing) and its
/// ONBUILD triggers.
extension ImageBuilder {
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
}
