import BerthNetwork

/// The host ports held for running containers (a bound socket each, see `PortReservation`).
actor PortReservations {
    private var held: [String: [PortReservation]] = [:]

    /// Binds every request for `container`, or none: on a failure what was bound is let go
    /// and the error names the port.
    func reserve(_ requests: [PortRequest], for container: String) throws -> [PortReservation] {
        var made: [PortReservation] = []
        for r in requests {
            if let range = r.hostPorts, range.count > 1 {
                var bound: PortReservation?
                for port in range {
                    if let b = try? PortReservation(r.proto, hostIP: r.hostIP, port: port) { bound = b; break }
                }
                guard let bound else {
                    throw EngineError(.conflict, "Bind for \(r.hostIP?.description ?? "0.0.0.0"):\(range.lowerBound)-\(range.upperBound) failed: every port in the range is already allocated")
                }
                made.append(bound)
            } else {
                do { made.append(try PortReservation(r.proto, hostIP: r.hostIP, port: r.hostPorts?.lowerBound ?? 0)) } catch {
                    throw EngineError.from(error)
                }
            }
        }
        held[container, default: []] += made
        return made
    }

    /// Takes the ports a running container published back after a berthd restart; a port a
    /// host program took meanwhile stays published (its rule wins) but is not held.
    func readopt(_ ports: [PublishedPort], for container: String) {
        held[container] = ports.compactMap { p in
            try? PortReservation(p.forward.proto, hostIP: p.forward.hostIP, port: p.forward.hostPort)
        }
    }

    func release(_ container: String) { held[container] = nil }
}

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
            let result = await withCheckedContinuation { (c: CheckedContinuation<NetworkError?, Never>) in
                Blocking.queue.async {
                    do throws(NetworkError) { try firewall.apply(s); c.resume(returning: nil) } catch { c.resume(returning: error) }
                }
            }
            for c in batch { c.resume(returning: result) }
        }
        running = false
    }
}
