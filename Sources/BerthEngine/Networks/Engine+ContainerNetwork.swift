import BerthNetwork
import BerthRuntime
import BerthStore
import Foundation

/// A container's networking at start and exit. A container on bridge networks gets its own
/// network namespace, made by berthd and bind-mounted at `<exec root>/netns/<id12>` before the
/// shim starts (the shim's init joins it by path): berthd plugs the interfaces in without
/// waiting on the shim, and the namespace, its links and their rules are all found again by
/// name after a berthd restart, while the shim keeps the container running.
extension Engine {
    /// Where the container's network namespace is bound (Docker's `SandboxKey`).
    public func sandboxKey(_ id: String) -> String { "\(execRoot)/netns/\(id.prefix(12))" }

    /// The endpoints a container has: those recorded at create, or for records made before
    /// networks, the one its network mode names.
    func endpoints(of r: ContainerRecord) async -> [String: Endpoint] {
        if let e = r.endpoints { return e }
        let mode = Self.networkName(r.hostConfig.NetworkMode)
        guard let n = try? await networks.find(mode), !mode.hasPrefix("container:") else { return [:] }
        return [n.name: Endpoint(networkID: n.id)]
    }

    /// Docker's `default` is the default bridge.
    static func networkName(_ mode: String?) -> String {
        let m = mode ?? ""
        return m.isEmpty || m == "default" ? NetworkRecord.defaultBridgeName : m
    }

    /// Before the shim starts: addresses, published ports, the namespace with its interfaces,
    /// the rules. All or nothing: on a failure, what was made is undone before the error.
    func connectNetworks(_ r: ContainerRecord) async throws -> ContainerRecord {
        let primary = Self.networkName(r.hostConfig.NetworkMode)
        var bridged: [(name: String, network: NetworkRecord, endpoint: Endpoint)] = []
        for (name, e) in await endpoints(of: r) {
            guard let n = try? await networks.find(e.networkID) else {
                throw EngineError(.notFound, "network \(name) not found: it was removed; disconnect the container from it (network disconnect)")
            }
            if n.isBridge, n.bridge != nil { bridged.append((n.name, n, e)) }
        }
        guard !bridged.isEmpty else { return r }
        // The network the mode names first: it has eth0 and the default route.
        bridged.sort { ($0.name == primary ? 0 : 1, $0.name) < ($1.name == primary ? 0 : 1, $1.name) }
        // Ports asked for on no address answer on the network's host_binding_ipv4, if it has one.
        let requests = try PortRequest.parse(bindings: r.hostConfig.PortBindings ?? [:], exposed: Array((r.config.ExposedPorts ?? [:]).keys),
                                             publishAll: r.hostConfig.PublishAllPorts ?? false)
            .map { q in var q = q; q.hostIP = q.hostIP ?? bridged[0].network.hostBinding; return q }
        var plan: [(name: String, endpoint: Endpoint, networkID: String)] = []
        var interfaces: [Interface] = []
        let record: ContainerRecord
        do {
            for (i, b) in bridged.enumerated() {
                guard let subnet = b.network.subnet, let gateway = b.network.gateway, let bridge = b.network.bridge else { continue }
                let ip = try await networks.allocate(on: b.network.id, b.endpoint.requestedIP)
                var e = b.endpoint
                let endpointID = NetworkStore.newID()
                var iface = Interface(name: "eth\(i)", hostName: "vb\(endpointID.prefix(11))", bridge: bridge, address: ip, subnet: subnet,
                                      gateway: gateway, mtu: b.network.mtu, defaultRoute: i == 0 && !b.network.internal)
                iface.macAddress = b.endpoint.requestedMAC
                e.endpointID = endpointID
                e.interface = iface
                interfaces.append(iface)
                plan.append((b.name, e, b.network.id))
            }
            var published: [PublishedPort] = []
            if !requests.isEmpty, let first = interfaces.first {
                guard firewall.backend != .none else {
                    throw EngineError(.invalid, "publishing ports needs a packet filter, and berthd runs with --firewall none")
                }
                let held = try await ports.reserve(requests, for: r.id)
                published = zip(requests, held).map { req, h in
                    PublishedPort(forward: .init(proto: req.proto, hostIP: req.hostIP, hostPort: h.port, containerIP: first.address,
                                                 containerPort: req.containerPort, bridge: first.bridge))
                }
            }
            let path = sandboxKey(r.id)
            let plugged = interfaces
            try await Blocking.run {
                try FileSystem.makeDirectory((path as NSString).deletingLastPathComponent)
                // A namespace left by a crash between create and record is replaced.
                NetworkNamespace(path: path).remove()
                let (ns, inside) = try NetworkNamespace.create(at: path)
                do {
                    let host = try RouteSocket()
                    for iface in plugged { try iface.plug(into: ns, inside: inside, host: host) }
                } catch {
                    ns.remove()
                    throw error
                }
            }
            record = try await containers.update(r.id) { rec in
                var all = rec.endpoints ?? [:]
                for p in plan { all[p.name] = p.endpoint }
                rec.endpoints = all
                rec.publishedPorts = published.isEmpty ? nil : published
            }
        } catch {
            for (p, iface) in zip(plan, interfaces) { await networks.release(iface.address, on: p.networkID) }
            await ports.release(r.id)
            let path = sandboxKey(r.id), hostNames = interfaces.map(\.hostName)
            _ = try? await Blocking.run {
                if let host = try? RouteSocket() { for n in hostNames { try? host.deleteLink(n) } }
                NetworkNamespace(path: path).remove()
            }
            throw EngineError.from(error)
        }
        do { try await startDNS(record) } catch {
            await disconnectNetworks(r.id)
            throw EngineError.from(error)
        }
        // Recorded: from here `disconnectNetworks` knows how to undo it all. Without published
        // ports the rules do not change (bridges have theirs since they were made).
        if record.publishedPorts != nil {
            do { try await syncFirewall() } catch {
                await disconnectNetworks(r.id)
                throw error
            }
        }
        return record
    }

    /// After the container exited (or failed to start): its links, namespace, addresses, ports
    /// and rules go; what it asked for stays for the next start.
    func disconnectNetworks(_ id: String) async {
        names.unregister(id)
        guard let r = try? await containers.find(id) else { return }
        let plugged = (r.endpoints ?? [:]).compactMap { name, e in e.interface.map { (name, e.networkID, $0) } }
        let path = sandboxKey(id)
        let hadPorts = !(r.publishedPorts ?? []).isEmpty
        guard !plugged.isEmpty || hadPorts || access(path, F_OK) == 0 else { return }
        _ = try? await Blocking.run {
            if let host = try? RouteSocket() { for (_, _, iface) in plugged { try? iface.unplug(host: host) } }
            NetworkNamespace(path: path).remove()
        }
        for (_, networkID, iface) in plugged { await networks.release(iface.address, on: networkID) }
        await ports.release(id)
        guard !plugged.isEmpty || hadPorts else { return }
        _ = try? await containers.update(id) { rec in
            for name in (rec.endpoints ?? [:]).keys {
                rec.endpoints?[name]?.interface = nil
                rec.endpoints?[name]?.endpointID = nil
            }
            rec.publishedPorts = nil
        }
        if hadPorts { try? await syncFirewall() }
    }

    /// At berthd's start: the bridges are made (or found), the addresses and ports of containers
    /// still running are taken again, and the rules restored. Failures are logged, not fatal:
    /// berthd still serves, and containers that need the network fail with the reason.
    func startNetworking() async {
        if firewall.backend == .none && networkOptions.firewall != "none" {
            FileHandle.standardError.write(Data("berthd: neither iptables-restore nor nft on PATH: containers get no NAT and -p is refused (install iptables)\n".utf8))
        }
        for n in await networks.all() where n.isBridge {
            do { try await ensureBridge(n) } catch {
                FileHandle.standardError.write(Data("berthd: network \(n.name): \(error)\n".utf8))
            }
        }
        for r in await containers.all() where [.running, .paused].contains(state(r.id).status) {
            for e in (r.endpoints ?? [:]).values {
                if let a = e.interface?.address { await networks.claim(a, on: e.networkID) }
            }
            if let p = r.publishedPorts { await ports.readopt(p, for: r.id) }
            do { try await startDNS(r) } catch {
                FileHandle.standardError.write(Data("berthd: DNS of container \(r.name): \(error)\n".utf8))
            }
        }
        do { try await syncFirewall() } catch {
            FileHandle.standardError.write(Data("berthd: packet filter: \(error)\n".utf8))
        }
    }

    /// Brings the rules in line with berthd's state.
    func syncFirewall() async throws {
        try await firewallSync.sync { [self] in await firewallState() }
    }

    /// What the shim's spec says of the network namespace: `host`, `none` (a new one with
    /// loopback only), or the path of one to join — the container's own when it is on bridge
    /// networks, another container's for `--network container:NAME`.
    func networkNamespace(_ r: ContainerRecord) async throws -> String {
        let mode = r.hostConfig.NetworkMode ?? ""
        if mode == "host" { return "host" }
        if mode.hasPrefix("container:") {
            let other = try await containers.find(String(mode.dropFirst("container:".count)))
            let s = state(other.id)
            guard await events.isRunning(other.id), s.pid > 0 else {
                throw EngineError(.conflict, "cannot join network namespace of container \(other.name): it is not running; start it first")
            }
            if other.hostConfig.NetworkMode == "host" { return "host" }
            return "/proc/\(s.pid)/ns/net"
        }
        if (r.endpoints ?? [:]).values.contains(where: { $0.interface != nil }) { return sandboxKey(r.id) }
        return "none"
    }

    /// The rules berthd's state calls for: every bridge network, every published port.
    func firewallState() async -> FirewallState {
        var s = FirewallState()
        for n in await networks.all() where n.isBridge {
            if let b = n.bridge, let sub = n.subnet {
                s.bridges.append(.init(name: b, subnet: sub, internal: n.internal, masquerade: n.noMasquerade != true, icc: n.noICC != true))
            }
        }
        // One order whatever order the store lists them in, so the same state gives the same rules.
        s.bridges.sort { $0.name < $1.name }
        for r in await containers.all() { s.forwards += (r.publishedPorts ?? []).map(\.forward) }
        s.forwards.sort { ($0.hostPort, $0.proto.rawValue) < ($1.hostPort, $1.proto.rawValue) }
        return s
    }

    /// The Linux bridge of a network, up with its gateway address; forwarding on. Idempotent.
    func ensureBridge(_ n: NetworkRecord) async throws {
        guard n.isBridge, let name = n.bridge, let subnet = n.subnet, let gateway = n.gateway else { return }
        let mtu = n.mtu, isolated = n.noICC == true
        try await Blocking.run {
            // enable_icc=false drops bridged traffic in FORWARD, which bridged frames reach
            // only through br_netfilter.
            if isolated {
                guard access("/proc/sys/net/bridge/bridge-nf-call-iptables", F_OK) == 0 else {
                    throw EngineError(.unavailable, "enable_icc=false needs the br_netfilter kernel module: run modprobe br_netfilter")
                }
                Sysctl.set("net/bridge/bridge-nf-call-iptables", "1")
            }
            let host = try RouteSocket()
            let index = try host.ensureBridge(name, mtu: mtu)
            try host.addAddress(gateway, subnet: subnet, index: index, "give bridge \(name) the address \(gateway)/\(subnet.prefixLength)")
            // Published ports answer on 127.0.0.1: DNAT to the bridge needs loopback sources routable there.
            Sysctl.set("net/ipv4/conf/\(name)/route_localnet", "1")
            Sysctl.set("net/ipv4/ip_forward", "1")
        }
    }
}
