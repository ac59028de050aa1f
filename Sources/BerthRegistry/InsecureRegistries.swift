import Foundation
import Glibc

/// Registries berthd talks to without verified TLS: plain HTTP is allowed, and a certificate
/// that does not verify is accepted. Like dockerd: 127.0.0.0/8 (and ::1) always, plus what
/// `--insecure-registry` names (a `host[:port]` or a CIDR).
public struct InsecureRegistries: Sendable {
    struct Network: Sendable {
        let address: [UInt8]
        let prefix: Int

        func contains(_ ip: [UInt8]) -> Bool {
            guard ip.count == address.count else { return false }
            var bits = prefix
            for i in 0..<ip.count where bits > 0 {
                let mask: UInt8 = bits >= 8 ? 0xff : ~(0xff >> UInt8(bits))
                if ip[i] & mask != address[i] & mask { return false }
                bits -= 8
            }
            return true
        }
    }

    var networks: [Network]
    var hosts: Set<String>

    /// Only the loopback networks.
    public init() {
        networks = [Network(address: [127, 0, 0, 0], prefix: 8), Network(address: Array(repeating: 0, count: 15) + [1], prefix: 128)]
        hosts = []
    }

    /// `entries` as given to `--insecure-registry`; the loopback networks are always included.
    public init(_ entries: [String]) throws(RegistryError) {
        self.init()
        for e in entries {
            let entry = e.hasPrefix("http://") ? String(e.dropFirst(7)) : e.hasPrefix("https://") ? String(e.dropFirst(8)) : e
            if let slash = entry.firstIndex(of: "/") {
                guard let ip = Self.parseIP(String(entry[..<slash])), let prefix = Int(entry[entry.index(after: slash)...]),
                    (0...(ip.count * 8)).contains(prefix)
                else {
                    throw RegistryError(.invalid, "insecure registry \(e) is neither host[:port] nor a CIDR like 10.0.0.0/8")
                }
                networks.append(Network(address: ip, prefix: prefix))
            } else {
                guard !entry.isEmpty else { throw RegistryError(.invalid, "insecure registry: empty entry") }
                hosts.insert(entry.lowercased())
            }
        }
    }

    /// The networks, as CIDRs (`127.0.0.0/8`), for `docker info`.
    public var cidrs: [String] {
        networks.map { n in
            let text: String
            if n.address.count == 4 {
                text = n.address.map(String.init).joined(separator: ".")
            } else {
                var v6 = in6_addr()
                withUnsafeMutableBytes(of: &v6) { $0.copyBytes(from: n.address) }
                var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
                inet_ntop(AF_INET6, &v6, &buf, socklen_t(buf.count))
                text = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
            return "\(text)/\(n.prefix)"
        }
    }

    /// The registries listed by name.
    public var names: [String] { hosts.sorted() }

    /// Whether `domain` (`host[:port]` as in a reference) may be reached without verified TLS:
    /// it is listed, or one of its addresses is in an insecure network.
    public func allows(_ domain: String) -> Bool {
        let d = domain.lowercased()
        if hosts.contains(d) { return true }
        let host = Self.hostPart(d)
        if hosts.contains(host) { return true }
        if host == "localhost" { return true }
        return Self.addresses(of: host).contains { ip in networks.contains { $0.contains(ip) } }
    }

    /// `host` of `host[:port]` or `[v6]:port`.
    static func hostPart(_ domain: String) -> String {
        if domain.hasPrefix("["), let close = domain.firstIndex(of: "]") {
            return String(domain[domain.index(after: domain.startIndex)..<close])
        }
        if let colon = domain.lastIndex(of: ":"), domain.firstIndex(of: ":") == colon { return String(domain[..<colon]) }
        return domain
    }

    static func parseIP(_ s: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, s, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, s, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    /// The host's addresses: itself when it is an IP, else what the resolver says.
    static func addresses(of host: String) -> [[UInt8]] {
        if let ip = parseIP(host) { return [ip] }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var res: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &res) == 0, let first = res else { return [] }
        defer { freeaddrinfo(first) }
        var out: [[UInt8]] = []
        var p: UnsafeMutablePointer<addrinfo>? = first
        while let ai = p {
            if ai.pointee.ai_family == AF_INET, let sa = ai.pointee.ai_addr {
                var a = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                out.append(withUnsafeBytes(of: &a) { Array($0) })
            } else if ai.pointee.ai_family == AF_INET6, let sa = ai.pointee.ai_addr {
                var a = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                out.append(withUnsafeBytes(of: &a) { Array($0) })
            }
            p = ai.pointee.ai_next
        }
        return out
    }
}
