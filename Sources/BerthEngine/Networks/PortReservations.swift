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
