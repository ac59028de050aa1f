/// Docker's `-p [ip:][hostPort:]containerPort[/proto]` (with ranges `8000-8010:80-90`) turned
/// into the create body's `ExposedPorts` keys and `HostConfig.PortBindings`.
enum PublishFlag {
    struct Binding: Equatable {
        var hostIP: String
        var hostPort: String
    }

    /// Every `-p` value → port key (`80/tcp`) → its bindings, in order.
    static func parse(_ specs: [String]) throws -> [(key: String, binding: Binding)] {
        var out: [(String, Binding)] = []
        for spec in specs { out += try parse(spec) }
        return out
    }

    static func parse(_ spec: String) throws -> [(key: String, binding: Binding)] {
        var rest = Substring(spec)
        var proto = "tcp"
        if let slash = rest.lastIndex(of: "/") {
            proto = rest[rest.index(after: slash)...].lowercased()
            rest = rest[..<slash]
            guard ["tcp", "udp", "sctp"].contains(proto) else { throw CLIError("invalid proto: \(proto)") }
        }
        var ip = ""
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            ip = String(rest[rest.index(after: rest.startIndex)..<close])
            rest = rest[rest.index(after: close)...]
            guard rest.hasPrefix(":") else { throw CLIError("invalid publish spec \"\(spec)\"") }
            rest = rest.dropFirst()
        }
        var parts = rest.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        if ip.isEmpty && parts.count == 3 { ip = parts.removeFirst() }
        guard (1...2).contains(parts.count) else {
            throw CLIError("invalid publish spec \"\(spec)\": use [ip:][hostPort:]containerPort[/proto]")
        }
        guard let container = try range(parts[parts.count - 1], spec: spec, allowEmpty: false) else {
            throw CLIError("no port specified: \(spec)")
        }
        let host = parts.count == 2 ? try range(parts[0], spec: spec, allowEmpty: true) : nil
        var out: [(String, Binding)] = []
        for (i, port) in container.enumerated() {
            let hostPort: String
            if let host {
                if container.count == 1 && host.count > 1 {
                    hostPort = "\(host.lowerBound)-\(host.upperBound)"
                } else if host.count == container.count {
                    hostPort = "\(host.lowerBound + i)"
                } else {
                    throw CLIError("invalid ranges specified for container and host Ports: \(spec)")
                }
            } else {
                hostPort = ""
            }
            out.append(("\(port)/\(proto)", Binding(hostIP: ip, hostPort: hostPort)))
        }
        return out
    }

    /// `80`, `8000-8010`; empty only for the host side (`ip::80`: any host port).
    private static func range(_ s: String, spec: String, allowEmpty: Bool) throws -> ClosedRange<Int>? {
        if s.isEmpty {
            guard allowEmpty else { throw CLIError("no port specified: \(spec)<empty>") }
            return nil
        }
        let p = s.split(separator: "-", maxSplits: 1).map { Int($0) }
        guard let lo = p.first ?? nil, let hi = p.count == 2 ? p[1] : lo, (1...65535).contains(lo), (lo...65535).contains(hi) else {
            throw CLIError("invalid port \"\(s)\" in \(spec): use a port 1-65535 or a range like 8000-8010")
        }
        return lo...hi
    }
}
