import BerthEngine
import BerthNetwork
import Foundation

/// Docker's `NetworkSettings` of a container (inspect and `ps`), and its `Ports`.
enum NetworkSettingsJSON {
    /// One entry of `NetworkSettings.Networks`.
    static func endpoint(_ e: Endpoint) -> [String: Any] {
        let i = e.interface
        return [
            "IPAMConfig": e.requestedIP.map { ["IPv4Address": $0.description] as Any } ?? NSNull(),
            "Links": NSNull(), "Aliases": e.aliases.map { $0 as Any } ?? NSNull(), "MacAddress": i.map { $0.mac.description } ?? "",
            "DriverOpts": NSNull(), "NetworkID": e.networkID, "EndpointID": e.endpointID ?? "",
            "Gateway": i.map { $0.gateway.description } ?? "", "IPAddress": i.map { $0.address.description } ?? "",
            "IPPrefixLen": i?.subnet.prefixLength ?? 0, "IPv6Gateway": "", "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0,
            "DNSNames": NSNull(),
        ]
    }

    /// `NetworkSettings` for inspect: the per-network entries, the primary interface's
    /// address at the top level (Docker's legacy fields), and the ports.
    static func inspect(_ r: ContainerRecord, _ e: Engine, running: Bool) -> [String: Any] {
        let endpoints = r.endpoints ?? [:]
        let primary = endpoints.values.compactMap(\.interface).min { $0.name < $1.name }
        let primaryEndpoint = endpoints.values.first { $0.interface != nil && $0.interface == primary }
        let plugged = endpoints.values.contains { $0.interface != nil }
        return [
            "Bridge": "", "SandboxID": plugged ? String(r.id) : "", "SandboxKey": plugged ? e.sandboxKey(r.id) : "",
            "HairpinMode": false, "LinkLocalIPv6Address": "", "LinkLocalIPv6PrefixLen": 0,
            "Ports": running && mapsPorts(r) ? ports(r) : [String: Any](),
            "SecondaryIPAddresses": NSNull(), "SecondaryIPv6Addresses": NSNull(),
            "EndpointID": primaryEndpoint?.endpointID ?? "", "Gateway": primary.map { $0.gateway.description } ?? "",
            "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "IPAddress": primary.map { $0.address.description } ?? "",
            "IPPrefixLen": primary?.subnet.prefixLength ?? 0, "IPv6Gateway": "", "MacAddress": primary.map { $0.mac.description } ?? "",
            "Networks": endpoints.mapValues(endpoint),
        ]
    }

    /// Host, none and another container's namespace have no port mapping: Docker shows `{}`.
    static func mapsPorts(_ r: ContainerRecord) -> Bool {
        let mode = r.hostConfig.NetworkMode ?? ""
        return mode != "host" && mode != "none" && !mode.hasPrefix("container:")
    }

    /// `{"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}], "443/tcp": null}`: every
    /// exposed or published port; null when it is not published.
    static func ports(_ r: ContainerRecord) -> [String: Any] {
        var out: [String: Any] = [:]
        for key in (r.config.ExposedPorts ?? [:]).keys { out[key.contains("/") ? key : key + "/tcp"] = NSNull() }
        for p in r.publishedPorts ?? [] {
            var list = out[p.key] as? [[String: String]] ?? []
            list.append(["HostIp": p.forward.hostIP?.description ?? "0.0.0.0", "HostPort": "\(p.forward.hostPort)"])
            out[p.key] = list
        }
        return out
    }

    /// `ps`'s `Ports`: published ports with their host side, exposed ones without.
    static func summaryPorts(_ r: ContainerRecord, running: Bool) -> [[String: Any]] {
        var out: [[String: Any]] = []
        var published: Set<String> = []
        if running {
            for p in r.publishedPorts ?? [] {
                published.insert(p.key)
                out.append(["IP": p.forward.hostIP?.description ?? "0.0.0.0", "PrivatePort": Int(p.forward.containerPort),
                            "PublicPort": Int(p.forward.hostPort), "Type": p.forward.proto.rawValue])
            }
        }
        for key in (r.config.ExposedPorts ?? [:]).keys.sorted() {
            let k = key.contains("/") ? key : key + "/tcp"
            guard !published.contains(k), let port = Int(k.split(separator: "/")[0]) else { continue }
            out.append(["PrivatePort": port, "Type": String(k.split(separator: "/")[1])])
        }
        return out
    }

    /// `ps`'s `NetworkSettings`: the networks only.
    static func summary(_ r: ContainerRecord) -> [String: Any] {
        ["Networks": (r.endpoints ?? [:]).mapValues(endpoint)]
    }
}
