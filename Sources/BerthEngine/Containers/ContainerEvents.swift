/// Who is running, and who waits for what: the single place exits and removals are announced,
/// so a `wait` can never miss the exit it waits for.
actor ContainerEvents {
    /// Docker's `wait?condition=`.
    public enum Condition: String, Sendable { case notRunning = "not-running", nextExit = "next-exit", removed }

    private var running: Set<String> = []
    private var lastExit: [String: Int32] = [:]
    private var waiters: [String: [(ticket: UInt64, condition: Condition, continuation: CheckedContinuation<Int32?, Never>)]] = [:]
    private var nextTicket: UInt64 = 0
    private var startWaiters: [String: [CheckedContinuation<Bool, Never>]] = [:]
    /// Shims waiting for `start`, and how many early attaches have connected to each.
    private var ready: Set<String> = []
    private var attachCounts: [String: Int] = [:]

    /// The shim listens but holds the process: early attaches may connect now. Returns how many
    /// are waiting, so `start` can wait for them to register.
    func shimReady(_ id: String) -> Int {
        ready.insert(id)
        let waiters = startWaiters.removeValue(forKey: id) ?? []
        for c in waiters { c.resume(returning: true) }
        return waiters.count
    }

    /// An early attach reached the shim.
    func attached(_ id: String) { attachCounts[id, default: 0] += 1 }

    func attachedCount(_ id: String) -> Int { attachCounts[id] ?? 0 }

    func started(_ id: String) {
        running.insert(id)
        ready.remove(id)
        attachCounts[id] = nil
        for c in startWaiters.removeValue(forKey: id) ?? [] { c.resume(returning: true) }
    }

    /// Waits until the container's shim is ready or running (true), or the container exits or
    /// goes first (false): an attach that arrives before `start`, as `docker run` sends it.
    func waitStarted(_ id: String) async -> Bool {
        if running.contains(id) || ready.contains(id) { return true }
        return await withCheckedContinuation { startWaiters[id, default: []].append($0) }
    }

    func isRunning(_ id: String) -> Bool { running.contains(id) }

    /// Records an exit (also one found at startup) and wakes `not-running` and `next-exit` waiters.
    func exited(_ id: String, code: Int32) {
        running.remove(id)
        ready.remove(id)
        attachCounts[id] = nil
        lastExit[id] = code
        resume(id, code) { $0 != .removed }
    }

    func removed(_ id: String) {
        running.remove(id)
        for c in startWaiters.removeValue(forKey: id) ?? [] { c.resume(returning: false) }
        let code = lastExit.removeValue(forKey: id) ?? 0
        resume(id, code) { _ in true }
    }

    /// Waits per `condition`; returns the exit code, or nil when the waiting task was cancelled
    /// (its client went away, or berthd is shutting down).
    func wait(_ id: String, _ condition: Condition, currentExit: Int32) async -> Int32? {
        if condition == .notRunning && !running.contains(id) { return lastExit[id] ?? currentExit }
        nextTicket += 1
        let ticket = nextTicket
        return await withTaskCancellationHandler {
            await withCheckedContinuation { c in
                if Task.isCancelled { return c.resume(returning: nil) }
                waiters[id, default: []].append((ticket, condition, c))
            }
        } onCancel: {
            Task { await self.cancelWait(id, ticket) }
        }
    }

    private func cancelWait(_ id: String, _ ticket: UInt64) {
        guard let i = waiters[id]?.firstIndex(where: { $0.ticket == ticket }) else { return }
        waiters[id]?.remove(at: i).continuation.resume(returning: nil)
        if waiters[id]?.isEmpty == true { waiters[id] = nil }
    }

    private func resume(_ id: String, _ code: Int32, _ which: (Condition) -> Bool) {
        var keep: [(ticket: UInt64, condition: Condition, continuation: CheckedContinuation<Int32?, Never>)] = []
        for w in waiters[id] ?? [] {
            if which(w.condition) { w.continuation.resume(returning: code) } else { keep.append(w) }
        }
        waiters[id] = keep.isEmpty ? nil : keep
    }
}
