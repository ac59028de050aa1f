import BerthNetwork
import Foundation

/// The embedded DNS of user networks: a container on one gets `nameserver 127.0.0.11`, which
/// answers the names (container name, short id, aliases) of the containers on its networks and
/// forwards everything else to the host's resolvers (or its `--dns` servers).
extension Engine {
    /// User networks only, as in Docker: the default bridge keeps the host's resolv.conf.
    func usesEmbeddedDNS(_ r: ContainerRecord) async -> Bool {
        let bridge = try? await networks.find(NetworkRecord.defaultBridgeName)
        return (r.endpoints ?? [:]).values.contains { $0.interface != nil && $0.networkID != bridge?.id }
    }

    /// The names a container answers to on one network.
    static func dnsNames(_ r: ContainerRecord, _ e: Endpoint) -> [String] {
        [r.name, r.shortID] + (e.aliases ?? [])
    }

    /// Upstream resolvers: `--dns`, else the host's.
    static func upstreamResolvers(_ r: ContainerRecord) -> [IPv4Address] {
        if let dns = r.hostConfig.Dns, !dns.isEmpty { return dns.compactMap { IPv4Address($0) } }
        let conf = (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""
        return conf.split(separator: "\n").compactMap { line in
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            return f.count >= 2 && f[0] == "nameserver" ? IPv4Address(f[1]) : nil
        }
    }

    /// Registers the container's names on its user networks and serves its resolver.
    func startDNS(_ r: ContainerRecord) async throws {
        guard await usesEmbeddedDNS(r) else { return }
        let bridge = try? await networks.find(NetworkRecord.defaultBridgeName)
        for e in (r.endpoints ?? [:]).values where e.networkID != bridge?.id {
            if let i = e.interface { names.register(r.id, networkID: e.networkID, names: Self.dnsNames(r, e), address: i.address) }
        }
        // A container only on --internal networks reaches nothing outside, names included (as
        // Docker 25+): its resolver answers containers' names and forwards nothing.
        var external = false
        for e in (r.endpoints ?? [:]).values where (try? await networks.find(e.networkID))?.internal != true { external = true }
        let path = sandboxKey(r.id), upstream = external ? Self.upstreamResolvers(r) : [], names = self.names, id = r.id
        try await Blocking.run { try names.startResolver(id, netns: path, upstream: upstream) }
    }

    /// A container that started on the default bridge and joins a user network: as Docker, it
    /// gets the embedded resolver now, and its resolv.conf (bind-mounted, so rewritten in place)
    /// names it.
    func startLateResolver(_ r: ContainerRecord) async throws {
        let path = sandboxKey(r.id), upstream = Self.upstreamResolvers(r), names = self.names, id = r.id
        let file = "\(containers.bundle(r.id))/resolv.conf"
        let host = Self.withoutLoopbackResolvers((try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? "")
        let conf = Self.embeddedResolvConf(r, host: host)
        try await Blocking.run {
            try names.startResolver(id, netns: path, upstream: upstream)
            guard let h = FileHandle(forUpdatingAtPath: file) else { return }
            defer { try? h.close() }
            try h.truncate(atOffset: 0)
            try h.write(contentsOf: Data(conf.utf8))
        }
    }

    /// resolv.conf for the embedded resolver: its address, with the host's (or `--dns-search`,
    /// `--dns-option`) search domains and options.
    static func embeddedResolvConf(_ r: ContainerRecord, host: String) -> String {
        let h = r.hostConfig
        var out = "nameserver \(ContainerResolver.address)\n"
        let lines = host.split(separator: "\n").map(String.init)
        let search = (h.DnsSearch ?? []).isEmpty ? lines.filter { $0.hasPrefix("search ") } : ["search " + (h.DnsSearch ?? []).joined(separator: " ")]
        out += search.map { $0 + "\n" }.joined()
        let hostOptions = lines.filter { $0.hasPrefix("options ") }.flatMap { $0.split(separator: " ").dropFirst().map(String.init) }
        let chosen = (h.DnsOptions ?? []).isEmpty ? hostOptions.filter { !$0.hasPrefix("ndots:") } : (h.DnsOptions ?? [])
        // ndots:0 (as Docker), unless the container asked for its own.
        out += "options " + (chosen.contains { $0.hasPrefix("ndots:") } ? chosen : chosen + ["ndots:0"]).joined(separator: " ") + "\n"
        return out
    }
}
