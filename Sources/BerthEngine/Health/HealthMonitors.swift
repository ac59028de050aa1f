/// The running health monitor of each container, so stopping one ends its probe loop.
actor HealthMonitors {
    private var tasks: [String: Task<Void, Never>] = [:]

    /// Starts `body` as the container's monitor, replacing any previous one.
    func run(_ id: String, _ body: @escaping @Sendable () async -> Void) {
        tasks[id]?.cancel()
        tasks[id] = Task { await body() }
    }

    func cancel(_ id: String) { tasks.removeValue(forKey: id)?.cancel() }
}
