import BerthNetwork

/// Applies the firewall state from one loop: callers that ask while a run is under way are
/// served together by the next run, which reads the state after they asked. So rules never go
/// back to an older state, and a burst of starts costs one `iptables-restore`, not one each.
actor FirewallSync {
    private let firewall: Firewall
    private var state: (@Sendable () async -> FirewallState)?
    private var waiting: [CheckedContinuation<NetworkError?, Never>] = []
    private var running = false

    init(firewall: Firewall) { self.firewall = firewall }

    /// Returns once rules that include every change made before the call are in place;
    /// `state` reads what the rules must be.
    func sync(_ state: @escaping @Sendable () async -> FirewallState) async throws {
        if firewall.backend == .none { return }
        self.state = state
        let failure: NetworkError? = await withCheckedContinuation { c in
            waiting.append(c)
            if !running {
                running = true
                Task { await self.run() }
            }
        }
        if let failure { throw EngineError.from(failure) }
    }

    private func run() async {
        while !waiting.isEmpty {
            let batch = waiting
            waiting = []
            guard let read = state else { break }
            let s = await read()
            let firewall = self.firewall
            let result: NetworkError? = (try? await Blocking.run { () -> NetworkError? in
                do throws(NetworkError) { try firewall.apply(s); return nil } catch { return error }
            }) ?? nil
            for c in batch { c.resume(returning: result) }
        }
        running = false
    }
}
