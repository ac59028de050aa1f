import BerthRuntime

/// A container's state as `inspect` and `ps` show it: the shim's report (state.json) with what
/// only berthd knows on top — that it is paused, or waiting to restart.
public struct ContainerStatus: Sendable {
    /// The shim's last report.
    public let state: ContainerState
    /// `pause` froze it.
    public let paused: Bool
    /// Exited, with an automatic restart pending (Docker's `State.Restarting`).
    public let restarting: Bool
    /// The health check's state, once a container with one has started.
    public let health: ContainerHealth?

    /// Docker's `State.Running`: also true while paused or restarting.
    public var running: Bool { restarting || paused || state.status == .running || state.status == .paused }

    /// Docker's `State.Status`: created, running, paused, restarting or exited.
    public var name: String {
        if restarting { return "restarting" }
        if paused { return "paused" }
        return state.status.rawValue
    }
}

extension Engine {
    /// The container's state with berthd's knowledge of pause and pending restarts.
    public func status(_ r: ContainerRecord) async -> ContainerStatus {
        let s = state(r.id)
        // From the exit on (even before berthd has announced it) until the new run's shim reports.
        let restarting = await restarts.isRestarting(r.id) && s.status != .running && s.status != .paused
        let paused = !restarting && (s.status == .paused || (s.status == .running && r.paused == true))
        return ContainerStatus(state: s, paused: paused, restarting: restarting, health: r.health)
    }
}
