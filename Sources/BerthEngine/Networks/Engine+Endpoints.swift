import BerthNetwork
import Foundation

extension Engine {
    /// The networks a new container joins, from its network mode and `NetworkingConfig`
    /// (`{"EndpointsConfig": {"net": {"Aliases": […], "IPAMConfig": {"IPv4Address": "…"}}}}`).
    /// Checks what can be checked before start: the networks exist, `--ip` fits, `-p` parses.
    func requestedEndpoints(_ h: DockerHostConfig, config: DockerConfig, networking: Any?, warnings: inout [String]) async throws -> [String: Endpoint] {
        let mode = h.NetworkMode ?? ""
        // Keyed by network name; `default` (what the docker CLI sends) is the default bridge.
        var configs: [String: Any] = [:]
        for (k, v) in ((networking as? [String: Any])?["EndpointsConfig"] as? [String: Any]) ?? [:] { configs[Self.networkName(k)] = v }
        let publishes = !(h.PortBindings ?? [:]).isEmpty || h.PublishAllPorts == true
        _ = try PortRequest.parse(bindings: h.PortBindings ?? [:], exposed: Array((config.ExposedPorts ?? [:]).keys), publishAll: h.PublishAllPorts ?? false)
        for link in h.Links ?? [] {
            if mode == "host" || mode.hasPrefix("container:") {
                throw EngineError(.invalid, "conflicting options: \(mode == "host" ? "host" : "container") type networking can't be used with links")
            }
            let (target, _) = try Self.parseLink(link)
            do { _ = try await containers.find(target) } catch {
                throw EngineError(.notFound, "could not get container for \(target): no such container")
            }
        }
        if let mac = config.MacAddress, !mac.isEmpty {
            if mode.hasPrefix("container:") { throw EngineError(.invalid, "conflicting options: mac-address and the network mode") }
            // Docker's API before 1.44 sends it at the top level: it is the first network's.
            let key = Self.networkName(mode)
            var c = configs[key] as? [String: Any] ?? [:]
            if (c["MacAddress"] as? String ?? "").isEmpty { c["MacAddress"] = mac }
            configs[key] = c
        }
        if mode.hasPrefix("container:") {
            _ = try await containers.find(String(mode.dropFirst("container:".count)))
            if publishes { throw EngineError(.invalid, "conflicting options: port publishing and the container type network mode") }
            return [:]
        }
        let name = Self.networkName(mode)
        let network: NetworkRecord
        do { network = try await networks.find(name) } catch {
            throw EngineError(.notFound, "network \(name) not found")
        }
        if network.isDefaultBridge && network.bridge == nil {
            warnings.append("berthd runs with --bridge none: the container has loopback only (--network host shares the host's network)")
        }
        if publishes && !(network.isBridge && network.bridge != nil) {
            warnings.append("Published ports are discarded when using \(network.name) network mode")
        }
        var out: [String: Endpoint] = [:]
        // The mode's network, and any other the client names (API 1.44+ may name several).
        var names = [(name, configs[name])]
        for (k, v) in configs.sorted(by: { $0.key < $1.key }) where k != name { names.append((k, v)) }
        for (n, raw) in names {
            let net: NetworkRecord
            do { net = try await networks.find(n) } catch { throw EngineError(.notFound, "network \(n) not found") }
            if net.driver != "bridge" && names.count > 1 {
                throw EngineError(.invalid, "container cannot be connected to network \(net.name) and others: \(net.name) is \(net.driver == "null" ? "none" : net.driver) networking")
            }
            out[net.name] = try Self.endpoint(on: net, raw as? [String: Any])
        }
        return out
    }

    /// One endpoint's request: aliases and a static address, checked against the network.
    static func endpoint(on net: NetworkRecord, _ c: [String: Any]?) throws(EngineError) -> Endpoint {
        var e = Endpoint(networkID: net.id)
        if let aliases = c?["Aliases"] as? [String], !aliases.isEmpty {
            guard net.isBridge, !net.isDefaultBridge else {
                throw EngineError(.invalid, "network-scoped alias is supported only for containers in user defined networks")
            }
            e.aliases = aliases
        }
        let ipam = c?["IPAMConfig"] as? [String: Any]
        if let ip6 = ipam?["IPv6Address"] as? String, !ip6.isEmpty {
            throw EngineError(.invalid, "IPv6 is not supported by berthd yet: remove --ip6 \(ip6)")
        }
        if let local = ipam?["LinkLocalIPs"] as? [String], !local.isEmpty {
            throw EngineError(.invalid, "link-local addresses are not supported by berthd: remove --link-local-ip \(local.joined(separator: ","))")
        }
        if let links = c?["Links"] as? [String], !links.isEmpty {
            for l in links { _ = try parseLink(l) }
            e.links = links
        }
        if let opts = c?["DriverOpts"] as? [String: Any], !opts.isEmpty {
            throw EngineError(.invalid, "endpoint driver options (\(opts.keys.sorted().joined(separator: ", "))) are not supported by berthd's bridge driver; remove --driver-opt")
        }
        if let mac = c?["MacAddress"] as? String, !mac.isEmpty {
            guard let m = MACAddress(mac), m.bytes[0] & 1 == 0 else {
                throw EngineError(.invalid, "invalid MAC address \(mac): give a unicast address like 02:42:ac:11:00:02")
            }
            guard net.isBridge else { throw EngineError(.invalid, "a MAC address needs a bridge network; \(net.name) has no interface of its own") }
            e.requestedMAC = m
        }
        if let ip = ipam?["IPv4Address"] as? String, !ip.isEmpty {
            guard let a = IPv4Address(ip) else { throw EngineError(.invalid, "invalid IPv4 address: \(ip)") }
            guard !net.isDefaultBridge else {
                throw EngineError(.invalid, "user specified IP address is supported on user defined networks only")
            }
            guard let s = net.subnet, s.isHost(a), a != net.gateway else {
                throw EngineError(.invalid, "no configured subnet or ip-range contain the IP address \(ip)")
            }
            e.requestedIP = a
        }
        return e
    }
}
