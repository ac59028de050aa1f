/// A published or exposed port in compose's long form (what `docker compose config` prints).
public struct ServicePort: Sendable, Equatable {
    public var target: Int
    /// A host port or range ("8080", "8000-8010"); nil lets the engine choose.
    public var published: String?
    public var hostIP: String?
    public var proto: String = "tcp"
    public var mode: String = "ingress"
    public var name: String?
    public var appProtocol: String?

    /// Compose's short syntax, `[HOST_IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/PROTOCOL]`, one
    /// entry per container port of a range. `problem` describes why a spelling is refused.
    static func parse(_ spec: String) -> Result<[ServicePort], PortProblem> {
        var rest = Substring(spec)
        var proto = "tcp"
        if let slash = rest.lastIndex(of: "/") {
            proto = rest[rest.index(after: slash)...].lowercased()
            rest = rest[..<slash]
            guard ["tcp", "udp", "sctp"].contains(proto) else { return .failure(PortProblem("invalid proto: \(proto)")) }
        }
        var hostIP: String?
        if rest.hasPrefix("[") {
            guard let end = rest.firstIndex(of: "]"), rest[rest.index(after: end)...].hasPrefix(":") else { return .failure(PortProblem("invalid IP address: \(rest)")) }
            hostIP = String(rest[rest.index(after: rest.startIndex)..<end])
            rest = rest[rest.index(end, offsetBy: 2)...]
        }
        var parts = rest.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        if hostIP == nil && parts.count == 3 {
            hostIP = parts.removeFirst()
            guard isIPAddress(hostIP!) else { return .failure(PortProblem("invalid IP address: \(hostIP!)")) }
        }
        guard parts.count == 1 || parts.count == 2 else { return .failure(PortProblem("invalid port specification: \(spec.debugDescription)")) }
        guard let container = range(parts.last!), container.lowerBound >= 1 else { return .failure(PortProblem("invalid containerPort: \(parts.last!)")) }
        var host: ClosedRange<Int>?
        if parts.count == 2, !parts[0].isEmpty {
            guard let h = range(parts[0]) else { return .failure(PortProblem("invalid hostPort: \(parts[0])")) }
            host = h
        }
        if let h = host, h.count != container.count, container.count != 1 {
            return .failure(PortProblem("invalid ranges specified for container and host Ports: \(parts.last!) and \(parts[0])"))
        }
        var ports: [ServicePort] = []
        for (n, target) in container.enumerated() {
            var published: String?
            if let h = host {
                if container.count == 1 {
                    published = h.count == 1 ? String(h.lowerBound) : "\(h.lowerBound)-\(h.upperBound)"
                } else {
                    published = String(h.lowerBound + n)
                }
            }
            ports.append(ServicePort(target: target, published: published, hostIP: hostIP, proto: proto))
        }
        return .success(ports)
    }

    /// "80" or "8000-8010", each port in 0...65535 (a container port must be at least 1).
    static func range(_ text: String) -> ClosedRange<Int>? {
        let bounds = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard let low = port(bounds[0]) else { return nil }
        let high = bounds.count == 2 ? port(bounds[1]) : low
        guard let high, high >= low, high - low < 65536 else { return nil }
        return low...high
    }

    private static func port(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.count <= 5, text.allSatisfy(\.isASCII), let n = Int(text), (0...65535).contains(n) else { return nil }
        return n
    }

    static func isIPAddress(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4 { return parts.allSatisfy { $0.count <= 3 && UInt8($0) != nil } }
        return text.contains(":") && text.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
    }
}

/// Why a port spelling was refused.
struct PortProblem: Error {
    let text: String
    init(_ text: String) { self.text = text }
}
