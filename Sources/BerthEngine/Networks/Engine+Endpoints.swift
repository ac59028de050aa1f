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
        if let ipam = c?["IPAMConfig"] as? [String: Any], let ip = ipam["IPv4Address"] as? String, !ip.isEmpty {
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
