import BerthNetwork
import Foundation

/// The network verbs: create, list, inspect, remove, prune, connect, disconnect.
extension Engine {
    /// What `POST /networks/create` asks for.
    public struct NetworkRequest: Sendable {
        public var name: String
        public var driver = "bridge"
        public var `internal` = false
        public var attachable = false
        public var enableIPv6 = false
        public var labels: [String: String] = [:]
        public var options: [String: String] = [:]
        public var subnet: String?
        public var gateway: String?
        public var ipRange: String?
        /// `--aux-address`: name → address.
        public var auxAddresses: [String: String] = [:]
        /// `--scope`: `local` (or empty) only; `swarm` and `global` need swarm.
        public var scope = ""
        public var extraPools = 0
        public init(name: String) { self.name = name }
    }

    /// A network with the running containers on it (`Containers` in Docker's JSON).
    public struct NetworkView: Sendable {
        public let record: NetworkRecord
        /// Container id → (name, endpoint).
        public let containers: [String: (name: String, endpoint: Endpoint)]
    }

    public func createNetwork(_ q: NetworkRequest) async throws -> NetworkRecord {
        guard Self.isValidName(q.name + "x") else {
            throw EngineError(.invalid, "invalid network name \"\(q.name)\": use [a-zA-Z0-9][a-zA-Z0-9_.-]")
        }
        guard q.driver == "bridge" else {
            throw EngineError(.invalid, "plugin \"\(q.driver)\" not found: berthd has the bridge driver only (host and none are built in)")
        }
        if ["bridge", "host", "none", "default"].contains(q.name) {
            throw EngineError(.conflict, "network with name \(q.name) already exists")
        }
        guard !q.enableIPv6 else { throw EngineError(.invalid, "IPv6 networks are not supported by berthd yet; create the network without --ipv6") }
        guard ["", "local"].contains(q.scope) else {
            throw EngineError(.invalid, "scope \(q.scope) needs swarm, which berthd does not have; use --scope local (the default)")
        }
        guard q.extraPools == 0 else { throw EngineError(.invalid, "berthd gives a network one IPv4 subnet; pass a single --subnet") }
        var r = NetworkRecord(id: NetworkStore.newID(), name: q.name, driver: "bridge", created: Date())
        r.internal = q.internal
        r.attachable = q.attachable
        r.labels = q.labels
        r.options = q.options
        r.mtu = networkOptions.mtu
        for (k, v) in q.options { try Self.apply(option: k, v, to: &r) }
        if r.noICC == true && firewall.backend == .none {
            throw EngineError(.invalid, "enable_icc=false needs a packet filter, and berthd runs with --firewall none")
        }
        if let s = q.subnet {
            guard let sub = IPv4Subnet(s), sub.prefixLength <= 30 else {
                throw EngineError(.invalid, "invalid subnet \(s): give an IPv4 network like 172.30.0.0/16 (host bits zero, /30 or larger)")
            }
            r.subnet = sub
        }
        if let g = q.gateway {
            guard r.subnet != nil else { throw EngineError(.invalid, "a --gateway needs a --subnet") }
            guard let a = IPv4Address(g) else { throw EngineError(.invalid, "invalid gateway \(g)") }
            r.gateway = a
        }
        if let range = q.ipRange {
            guard let sub = r.subnet else { throw EngineError(.invalid, "an --ip-range needs a --subnet") }
            guard let ipRange = IPv4Subnet(range), sub.contains(ipRange.network), ipRange.prefixLength >= sub.prefixLength else {
                throw EngineError(.invalid, "invalid --ip-range \(range): give an IPv4 network inside the subnet \(sub), like \(sub.network)/\(min(sub.prefixLength + 1, 30))")
            }
            r.ipRange = ipRange
        }
        if !q.auxAddresses.isEmpty {
            guard let sub = r.subnet else { throw EngineError(.invalid, "an --aux-address needs a --subnet") }
            var aux: [String: IPv4Address] = [:]
            for (name, ip) in q.auxAddresses {
                guard let a = IPv4Address(ip), sub.contains(a) else {
                    throw EngineError(.invalid, "invalid --aux-address \(name)=\(ip): give an IPv4 address inside the subnet \(sub)")
                }
                aux[name] = a
            }
            r.auxAddresses = aux
        }
        let created = try await networks.create(r, avoiding: Self.hostRoutes())
        do {
            try await ensureBridge(created)
            try await syncFirewall()
        } catch {
            await dropNetwork(created)
            throw error
        }
        return created
    }

    /// One `-o` driver option of a bridge network, as Docker's bridge driver takes it.
    static func apply(option k: String, _ v: String, to r: inout NetworkRecord) throws(EngineError) {
        func flag() throws(EngineError) -> Bool {
            guard let b = ["true": true, "1": true, "false": false, "0": false][v.lowercased()] else {
                throw EngineError(.invalid, "invalid value \(v) for \(k): use true or false")
            }
            return b
        }
        switch k {
        case "com.docker.network.bridge.name":
            guard (1...15).contains(v.utf8.count), !v.contains("/"), !v.contains(" ") else {
                throw EngineError(.invalid, "bridge name \(v): a Linux interface name has 1 to 15 characters, no '/' or space")
            }
            r.bridge = v
        case "com.docker.network.driver.mtu":
            guard let m = Int(v), (576...65535).contains(m) else { throw EngineError(.invalid, "invalid MTU \(v): use 576 to 65535") }
            r.mtu = m
        case "com.docker.network.bridge.enable_ip_masquerade": r.noMasquerade = try !flag() ? true : nil
        case "com.docker.network.bridge.enable_icc": r.noICC = try !flag() ? true : nil
        case "com.docker.network.bridge.host_binding_ipv4":
            guard let a = IPv4Address(v) else { throw EngineError(.invalid, "invalid host_binding_ipv4 \(v): give an IPv4 address of the host") }
            r.hostBinding = a.value == 0 ? nil : a
        default:
            throw EngineError(.invalid, "network option \(k) is not supported by berthd (it takes com.docker.network.bridge.name, enable_ip_masquerade, enable_icc, host_binding_ipv4 and com.docker.network.driver.mtu)")
        }
    }

    /// The subnets the host routes already (interfaces, VPNs), which a new network must avoid.
    static func hostRoutes() -> [IPv4Subnet] {
        guard let text = try? String(contentsOfFile: "/proc/net/route", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").dropFirst().compactMap { line in
            let f = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            guard f.count >= 8, let dst = UInt32(f[1], radix: 16), let mask = UInt32(f[7], radix: 16), mask != 0 else { return nil }
            // /proc shows the addresses as little-endian hex.
            return IPv4Subnet(IPv4Address(dst.byteSwapped), prefixLength: mask.nonzeroBitCount)
        }
    }

    public func networkView(_ r: NetworkRecord) async -> NetworkView {
        var members: [String: (name: String, endpoint: Endpoint)] = [:]
        for c in await containers.all() {
            for e in (c.endpoints ?? [:]).values where e.networkID == r.id && e.interface != nil {
                members[c.id] = (c.name, e)
            }
        }
        return NetworkView(record: r, containers: members)
    }

    public func inspectNetwork(_ ref: String) async throws -> NetworkView { await networkView(try await networks.find(ref)) }

    public func listNetworks() async -> [NetworkView] {
        var out: [NetworkView] = []
        for r in await networks.all() { out.append(await networkView(r)) }
        return out
    }

    /// `DELETE /networks/{id}`: refused for the built-in networks and while a running
    /// container is on it.
    public func removeNetwork(_ ref: String) async throws {
        let r = try await networks.find(ref)
        guard !r.isBuiltIn else { throw EngineError(.conflict, "\(r.name) is a pre-defined network and cannot be removed") }
        let view = await networkView(r)
        guard view.containers.isEmpty else {
            throw EngineError(.conflict, "error while removing network: network \(r.name) id \(r.id) has active endpoints")
        }
        await dropNetwork(r)
    }

    /// Removes the record, the bridge and the bridge's rules.
    func dropNetwork(_ r: NetworkRecord) async {
        await networks.remove(r.id)
        if let name = r.bridge {
            _ = try? await Blocking.run { try RouteSocket().deleteLink(name) }
        }
        try? await syncFirewall()
    }

    /// `network prune`: user networks no running container is on, matching the labels.
    public func pruneNetworks(labels: [String], notLabels: [String]) async -> [String] {
        var removed: [String] = []
        for v in await listNetworks() where !v.record.isBuiltIn && v.containers.isEmpty {
            if !labels.allSatisfy({ Self.hasLabel($0, v.record.labels) }) { continue }
            if notLabels.contains(where: { Self.hasLabel($0, v.record.labels) }) { continue }
            await dropNetwork(v.record)
            removed.append(v.record.name)
        }
        return removed
    }

    /// `network connect`: recorded for the next start; a running container gets the
    /// interface at once (the next free ethN, no default route).
    public func connectNetwork(_ ref: String, container: String, config: [String: Any]?) async throws {
        let net = try await networks.find(ref)
        let r = try await containers.find(container)
        let mode = r.hostConfig.NetworkMode ?? ""
        if mode == "host" || mode.hasPrefix("container:") || net.driver != "bridge" {
            throw EngineError(.invalid, "container sharing network namespace with another container or host cannot be connected to any other network")
        }
        if mode == "none" { throw EngineError(.invalid, "container cannot be connected to multiple networks with one of the networks in private (none) mode") }
        var endpoints = await endpoints(of: r)
        if endpoints[net.name] != nil {
            throw EngineError(.conflict, "endpoint with name \(r.name) already exists in network \(net.name)")
        }
        var e = try Self.endpoint(on: net, config)
        let ns = NetworkNamespace(path: sandboxKey(r.id))
        if await events.isRunning(r.id), ns.exists {
            guard let subnet = net.subnet, let gateway = net.gateway, let bridge = net.bridge else {
                throw EngineError(.invalid, "network \(net.name) has no bridge")
            }
            let used = Set(endpoints.values.compactMap { $0.interface?.name })
            let name = (0...).lazy.map { "eth\($0)" }.first { !used.contains($0) } ?? "eth9"
            let ip = try await networks.allocate(on: net.id, e.requestedIP)
            let endpointID = NetworkStore.newID()
            // The default route goes with the first interface; one that comes back after a
            // disconnect of the only one takes it again.
            let routed = endpoints.values.contains { $0.interface?.defaultRoute == true }
            var made = Interface(name: name, hostName: "vb\(endpointID.prefix(11))", bridge: bridge, address: ip, subnet: subnet,
                                 gateway: gateway, mtu: net.mtu, defaultRoute: !routed && !net.internal)
            made.macAddress = e.requestedMAC
            let iface = made
            do {
                try await Blocking.run {
                    try iface.plug(into: ns, inside: try ns.routeSocket(), host: try RouteSocket())
                }
            } catch {
                await networks.release(ip, on: net.id)
                throw EngineError.from(error)
            }
            e.endpointID = endpointID
            e.interface = iface
            if !net.isDefaultBridge {
                names.register(r.id, networkID: net.id, names: Self.dnsNames(r, e), address: ip)
                // Not fatal: the interface is in, and names on the network still resolve for others.
                if !names.hasResolver(r.id) {
                    do { try await startLateResolver(r) } catch {
                        FileHandle.standardError.write(Data("berthd: DNS of container \(r.name) on \(net.name): \(error)\n".utf8))
                    }
                }
            }
        } else if await events.isRunning(r.id) {
            throw EngineError(.invalid, "container \(r.name) has no network namespace of berthd's to connect; restart it on a bridge network first")
        }
        endpoints[net.name] = e
        let all = endpoints
        _ = try await containers.update(r.id) { $0.endpoints = all }
    }

    /// `network disconnect`: a running container loses the interface at once (a partition).
    public func disconnectNetwork(_ ref: String, container: String, force: Bool) async throws {
        let net = try await networks.find(ref)
        let r = try await containers.find(container)
        var endpoints = await endpoints(of: r)
        guard let (name, e) = endpoints.first(where: { $0.value.networkID == net.id }) else {
            if force { return }
            throw EngineError(.invalid, "container \(r.id) is not connected to network \(net.name)")
        }
        names.unregister(r.id, networkID: net.id)
        if let iface = e.interface {
            do { try await Blocking.run { try iface.unplug(host: try RouteSocket()) } } catch { throw EngineError.from(error) }
            await networks.release(iface.address, on: net.id)
        }
        endpoints[name] = nil
        let all = endpoints
        _ = try await containers.update(r.id) { rec in
            rec.endpoints = all
            // Ports published through that interface stop working with it.
            if let iface = e.interface { rec.publishedPorts?.removeAll { $0.forward.containerIP == iface.address } }
        }
        if e.interface != nil, !(r.publishedPorts ?? []).isEmpty { try await syncFirewall() }
    }
}
