import BerthRuntime
import Foundation

extension Engine {
    /// `POST /containers/{id}/pause`: freezes every process of the container with its cgroup's
    /// freezer. berthd keeps "paused" in the container's record; the shim need not know.
    public func pauseContainer(_ ref: String) async throws {
        let r = try await containers.find(ref)
        try await requireRunning(r)
        if r.paused == true { throw EngineError(.conflict, "Container \(r.id) is already paused") }
        let cgroup = try openCgroup(r.id)
        do {
            try await Blocking.run { try cgroup.freeze() }
        } catch {
            throw Self.cgroupError(error, "Cannot pause container \(r.id)")
        }
        _ = try await containers.update(r.id) { $0.paused = true }
        await stopHealthMonitor(r.id)
        await emit("pause", r)
    }

    /// `POST /containers/{id}/unpause`: thaws the cgroup.
    public func unpauseContainer(_ ref: String) async throws {
        let r = try await containers.find(ref)
        guard r.paused == true, await events.isRunning(r.id) else {
            throw EngineError(.conflict, "Container \(r.id) is not paused")
        }
        let cgroup = try openCgroup(r.id)
        do {
            try await Blocking.run { try cgroup.thaw() }
        } catch {
            throw Self.cgroupError(error, "Cannot unpause container \(r.id)")
        }
        _ = try await containers.update(r.id) { $0.paused = false }
        await resumeHealthMonitor(r.id)
        await emit("unpause", r)
    }

    /// Thaws a paused container that is being stopped, killed or removed, or has exited: a
    /// frozen process cannot act on its signals.
    func unpauseForStop(_ r: ContainerRecord) async {
        guard (try? await containers.find(r.id))?.paused == true else { return }
        if let cgroup = try? openCgroup(r.id) {
            _ = try? await Blocking.run { try cgroup.thaw() }
        }
        _ = try? await containers.update(r.id) { $0.paused = false }
    }

    /// After a berthd restart the freezer says whether a container is paused (berthd may have
    /// died between freezing and recording it).
    func reconcilePaused(_ r: ContainerRecord) async {
        let frozen = (try? openCgroup(r.id))?.isFrozen() ?? false
        if frozen != (r.paused == true) {
            _ = try? await containers.update(r.id) { $0.paused = frozen }
        }
    }

    /// Refuses a container that is not running (Docker's 409s for pause, top, update).
    func requireRunning(_ r: ContainerRecord) async throws {
        if await isRestarting(r.id) {
            throw EngineError(.conflict, "Container \(r.id) is restarting, wait until the container is running")
        }
        guard await events.isRunning(r.id) else { throw EngineError(.conflict, "Container \(r.id) is not running") }
    }

    /// The running container's cgroup, `berth/<id>`.
    func openCgroup(_ id: String) throws(EngineError) -> Cgroup {
        do {
            return try Cgroup.open(path: Cgroup.path(forContainer: id))
        } catch {
            throw EngineError(.conflict, "Container \(id) is not running")
        }
    }

    /// A cgroup failure as the API reports it: `<context>: <what the kernel refused>`.
    static func cgroupError(_ error: any Error, _ context: String) -> EngineError {
        guard let e = error as? CgroupError else { return EngineError(.internalError, "\(context): \(error)") }
        let kind: EngineError.Kind
        switch e.code {
        case .invalidArgument, .unsupported: kind = .invalid
        case .notFound, .busy: kind = .conflict
        case .io: kind = .internalError
        }
        return EngineError(kind, "\(context): \(e.message)")
    }
}
