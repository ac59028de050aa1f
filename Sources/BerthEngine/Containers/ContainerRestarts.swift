/// Docker's restart manager, for every container at once: the backoff between automatic
/// restarts, the restart waiting out that backoff (Docker's `State.Restarting`), and whether a
/// user `stop` or `kill` cancelled further restarts until the next user `start`.
///
/// In memory only, as in Docker: after a berthd restart the backoff starts again at 100 ms and
/// `adoptContainers` decides from the records what runs again.
actor ContainerRestarts {
    /// Docker's backoff: 100 ms, doubled for each restart, at most a minute.
    static let firstDelay: Duration = .milliseconds(100)
    static let maximumDelay: Duration = .seconds(60)
    /// A run at least this long resets the backoff to `firstDelay`.
    static let resetAfter: Double = 10

    private struct Entry {
        var delay: Duration = .zero
        var canceled = false
        /// A restart is scheduled or in progress; its number, so a finished attempt cannot clear a newer one.
        var pending: Int?
        /// The pending restart is starting the container (past its backoff).
        var starting = false
    }

    private var entries: [String: Entry] = [:]
    private var generation = 0

    /// Marks the container restarting (Docker's `State.Restarting` from now on) and returns the
    /// backoff before its restart, for a container that ran `ranFor` seconds, with the restart's
    /// ticket; nil when a user stop or kill cancelled restarts.
    func prepare(_ id: String, ranFor: Double) -> (delay: Duration, ticket: Int)? {
        var e = entries[id] ?? Entry()
        guard !e.canceled else { return nil }
        if ranFor >= Self.resetAfter { e.delay = .zero }
        e.delay = e.delay == .zero ? Self.firstDelay : min(e.delay * 2, Self.maximumDelay)
        generation += 1
        e.pending = generation
        entries[id] = e
        return (e.delay, generation)
    }

    /// Runs `restart` with its ticket once `delay` has passed.
    nonisolated func launch(after delay: Duration, ticket: Int, _ restart: @escaping @Sendable (Int) async -> Void) {
        Task {
            try? await Task.sleep(for: delay)
            await restart(ticket)
        }
    }

    /// The backoff is over: true when restart `ticket` should go ahead (not cancelled meanwhile).
    func begin(_ id: String, ticket: Int) -> Bool {
        guard var e = entries[id], e.pending == ticket, !e.canceled else { return false }
        e.starting = true
        entries[id] = e
        return true
    }

    /// Restart `ticket` has started the container, or failed to.
    func finish(_ id: String, ticket: Int) {
        guard var e = entries[id], e.pending == ticket else { return }
        e.pending = nil
        e.starting = false
        entries[id] = e
    }

    /// Docker's `State.Restarting`: waiting out the backoff or starting again.
    func isRestarting(_ id: String) -> Bool { entries[id]?.pending != nil }

    /// A user `stop`, `kill` or `rm -f`: no more automatic restarts until the next user `start`.
    /// Drops a restart still waiting out its backoff; returns false while one is already
    /// starting the container (the caller waits with `waitStarted`, then stops it).
    func cancel(_ id: String) -> Bool {
        var e = entries[id] ?? Entry()
        e.canceled = true
        if !e.starting { e.pending = nil }
        entries[id] = e
        return !e.starting
    }

    /// Waits until no restart of the container is starting it.
    func waitStarted(_ id: String) async {
        while entries[id]?.starting == true {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// A user `start`: Docker's ResetRestartManager (fresh backoff, not cancelled).
    func reset(_ id: String) { entries[id] = nil }
}
