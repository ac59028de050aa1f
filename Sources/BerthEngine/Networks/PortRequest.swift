import BerthNetwork

/// One port to publish, from `HostConfig.PortBindings` (or `-P`): the container's port and
/// where on the host it should answer.
struct PortRequest: Sendable, Equatable {
    var proto: PortProtocol
    var containerPort: UInt16
    /// nil: every address of the host.
    var hostIP: IPv4Address?
    /// nil: a free port from the kernel's ephemeral range; a range: the first free port in it.
    var hostPorts: ClosedRange<UInt16>?

    /// The requests in a create body: every binding, and with `publishAll` every exposed port
    /// that has none. Docker's keys are `80`, `80/tcp`, `53/udp`.
    static func parse(bindings: [String: [DockerHostConfig.PortBinding]?], exposed: [String], publishAll: Bool) throws(EngineError) -> [PortRequest] {
        var out: [PortRequest] = []
        for (key, list) in bindings.sorted(by: { $0.key < $1.key }) {
            let (proto, port) = try parseKey(key)
            let entries = (list ?? []).isEmpty ? [DockerHostConfig.PortBinding()] : (list ?? [])
            for b in entries {
                var r = PortRequest(proto: proto, containerPort: port)
                let ip = b.HostIp ?? ""
                if !ip.isEmpty && ip != "0.0.0.0" {
                    guard let a = IPv4Address(ip) else {
                        if ip.contains(":") {
                            throw EngineError(.invalid, "publishing on IPv6 address \(ip) is not supported by berthd yet; publish on an IPv4 address or on all addresses")
                        }
                        throw EngineError(.invalid, "invalid host IP \(ip) for port \(key)")
                    }
                    r.hostIP = a
                }
                r.hostPorts = try parseHostPorts(b.HostPort ?? "", key: key)
                out.append(r)
            }
        }
        if publishAll {
            for key in exposed.sorted() {
                let (proto, port) = try parseKey(key)
                if !out.contains(where: { $0.proto == proto && $0.containerPort == port }) {
                    out.append(PortRequest(proto: proto, containerPort: port))
                }
            }
        }
        return out
    }

    init(proto: PortProtocol, containerPort: UInt16, hostIP: IPv4Address? = nil, hostPorts: ClosedRange<UInt16>? = nil) {
        self.proto = proto
        self.containerPort = containerPort
        self.hostIP = hostIP
        self.hostPorts = hostPorts
    }

    /// `80/tcp` → (tcp, 80); no protocol means tcp.
    static func parseKey(_ key: String) throws(EngineError) -> (PortProtocol, UInt16) {
        let p = key.split(separator: "/", maxSplits: 1).map(String.init)
        guard let first = p.first, let port = UInt16(first), port > 0 else {
            throw EngineError(.invalid, "invalid port specification: \"\(key)\" (use PORT or PORT/tcp or PORT/udp)")
        }
        let name = p.count > 1 ? p[1].lowercased() : "tcp"
        guard let proto = PortProtocol(rawValue: name) else {
            throw EngineError(.invalid, "invalid port protocol \"\(name)\" in \"\(key)\": berthd publishes tcp and udp")
        }
        return (proto, port)
    }

    /// "" or "0" → any free port; "8080"; "8000-8010".
    static func parseHostPorts(_ s: String, key: String) throws(EngineError) -> ClosedRange<UInt16>? {
        if s.isEmpty || s == "0" { return nil }
        let p = s.split(separator: "-", maxSplits: 1).map { UInt16($0) }
        guard let lo = p.first ?? nil, lo > 0, let hi = p.count == 2 ? p[1] : lo, hi >= lo else {
            throw EngineError(.invalid, "invalid host port \"\(s)\" for \(key) (use a port 1-65535 or a range like 8000-8010)")
        }
        return lo...hi
    }
}
