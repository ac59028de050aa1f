import BerthEngine
import Foundation

/// `/networks/...`: list, inspect, create, remove, prune, connect, disconnect.
enum NetworkRoutes {
    static func handle(_ c: RouteContext) async throws -> Bool {
        switch (c.method, c.path) {
        case ("GET", "/networks"): try await list(c)
        case ("POST", "/networks/create"): try await create(c)
        case ("POST", "/networks/prune"): try await prune(c)
        default:
            guard c.path.hasPrefix("/networks/") else { return false }
            let parts = c.path.dropFirst("/networks/".count).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard let ref = parts.first, !ref.isEmpty else { return false }
            switch (c.method, parts.count == 2 ? parts[1] : nil) {
            case ("GET", nil):
                try await c.json(json(try await c.engine.inspectNetwork(ref)))
            case ("DELETE", nil):
                try await c.engine.removeNetwork(ref)
                try await c.noContent()
            case ("POST", "connect"):
                let body = try await object(c)
                guard let container = body["Container"] as? String, !container.isEmpty else {
                    throw APIError.badRequest("Container is required: name the container to connect")
                }
                try await c.engine.connectNetwork(ref, container: container, config: body["EndpointConfig"] as? [String: Any])
                try await c.noContent(200)
            case ("POST", "disconnect"):
                let body = try await object(c)
                guard let container = body["Container"] as? String, !container.isEmpty else {
                    throw APIError.badRequest("Container is required: name the container to disconnect")
                }
                try await c.engine.disconnectNetwork(ref, container: container, force: body["Force"] as? Bool ?? false)
                try await c.noContent(200)
            default:
                return false
            }
        }
        return true
    }

    static func object(_ c: RouteContext) async throws -> [String: Any] {
        var buffer = try await c.body.collect(upTo: 1 << 20)
        let data = Data(buffer.readBytes(length: buffer.readableBytes) ?? [])
        if data.isEmpty { return [:] }
        guard let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw APIError.badRequest("the request body is not a JSON object")
        }
        return o
    }

    /// Docker's network object.
    static func json(_ v: Engine.NetworkView) -> [String: Any] {
        let r = v.record
        var ipamConfig: [[String: Any]] = []
        if let s = r.subnet {
            var entry: [String: Any] = ["Subnet": s.description]
            if let g = r.gateway { entry["Gateway"] = g.description }
            if let range = r.ipRange { entry["IPRange"] = range.description }
            if let aux = r.auxAddresses, !aux.isEmpty { entry["AuxiliaryAddresses"] = aux.mapValues(\.description) }
            ipamConfig.append(entry)
        }
        var containers: [String: Any] = [:]
        for (id, m) in v.containers {
            let i = m.endpoint.interface
            containers[id] = ["Name": m.name, "EndpointID": m.endpoint.endpointID ?? "", "MacAddress": i.map { $0.mac.description } ?? "",
                              "IPv4Address": i.map { "\($0.address)/\($0.subnet.prefixLength)" } ?? "", "IPv6Address": ""]
        }
        return [
            "Name": r.name, "Id": r.id, "Created": GoTime.format(r.created), "Scope": "local", "Driver": r.driver, "EnableIPv6": false,
            "IPAM": ["Driver": "default", "Options": r.isBuiltIn ? NSNull() : [String: String]() as Any, "Config": ipamConfig],
            "Internal": r.internal, "Attachable": r.attachable, "Ingress": false, "ConfigFrom": ["Network": ""], "ConfigOnly": false,
            "Containers": containers, "Options": r.options, "Labels": r.labels,
        ]
    }

    /// Docker's `{"Name","Driver","Internal","Attachable","EnableIPv6","Labels","Options","IPAM":{"Config":[{"Subnet","Gateway","IPRange"}]}}`.
    static func create(_ c: RouteContext) async throws {
        let body = try await object(c)
        guard let name = body["Name"] as? String, !name.isEmpty else { throw APIError.badRequest("Name is required: name the network") }
        var q = Engine.NetworkRequest(name: name)
        if let d = body["Driver"] as? String, !d.isEmpty { q.driver = d }
        q.internal = body["Internal"] as? Bool ?? false
        q.attachable = body["Attachable"] as? Bool ?? false
        q.enableIPv6 = body["EnableIPv6"] as? Bool ?? false
        q.labels = body["Labels"] as? [String: String] ?? [:]
        q.options = body["Options"] as? [String: String] ?? [:]
        if let ipam = body["IPAM"] as? [String: Any] {
            if let d = ipam["Driver"] as? String, !d.isEmpty, d != "default" {
                throw APIError.badRequest("IPAM driver \(d) is not supported by berthd (only default)")
            }
            if let o = ipam["Options"] as? [String: Any], !o.isEmpty {
                throw APIError.badRequest("IPAM options (\(o.keys.sorted().joined(separator: ", "))) are not supported by berthd's default IPAM; remove --ipam-opt")
            }
            let configs = ipam["Config"] as? [[String: Any]] ?? []
            if let first = configs.first {
                q.subnet = (first["Subnet"] as? String).flatMap { $0.isEmpty ? nil : $0 }
                q.gateway = (first["Gateway"] as? String).flatMap { $0.isEmpty ? nil : $0 }
                q.ipRange = (first["IPRange"] as? String).flatMap { $0.isEmpty ? nil : $0 }
                q.auxAddresses = first["AuxiliaryAddresses"] as? [String: String] ?? [:]
            }
            q.extraPools = max(0, configs.count - 1)
        }
        for k in ["Ingress", "ConfigOnly"] where body[k] as? Bool == true {
            throw APIError.badRequest("\(k) networks need swarm, which berthd does not have")
        }
        if let from = (body["ConfigFrom"] as? [String: Any])?["Network"] as? String, !from.isEmpty {
            throw APIError.badRequest("--config-from needs config-only networks, which berthd does not have; give the network its own --subnet")
        }
        q.scope = body["Scope"] as? String ?? ""
        let r = try await c.engine.createNetwork(q)
        try await c.json(["Id": r.id, "Warning": ""], status: 201)
    }

    static func list(_ c: RouteContext) async throws {
        let f = try c.filters()
        for k in f.keys where !["name", "id", "label", "driver", "type", "dangling"].contains(k) {
            throw APIError.badRequest("invalid filter '\(k)': networks accept name, id, label, driver, type and dangling")
        }
        var out: [[String: Any]] = []
        for v in await c.engine.listNetworks() {
            let r = v.record
            if let names = f["name"], !names.contains(where: { r.name.contains($0) }) { continue }
            if let ids = f["id"], !ids.contains(where: { r.id.hasPrefix($0) }) { continue }
            if let labels = f["label"], !labels.allSatisfy({ ContainerJSON.hasLabel($0, r.labels) }) { continue }
            if let drivers = f["driver"], !drivers.contains(r.driver) { continue }
            if let types = f["type"], !types.contains(r.isBuiltIn ? "builtin" : "custom") { continue }
            if let d = f["dangling"]?.first, (d == "true" || d == "1") != (v.containers.isEmpty && !r.isBuiltIn) { continue }
            out.append(json(v))
        }
        try await c.json(out)
    }

    static func prune(_ c: RouteContext) async throws {
        let f = try c.filters()
        for k in f.keys where !["label", "label!"].contains(k) {
            throw APIError.badRequest("invalid filter '\(k)': network prune accepts label and label!")
        }
        let removed = await c.engine.pruneNetworks(labels: f["label"] ?? [], notLabels: f["label!"] ?? [])
        try await c.json(["NetworksDeleted": removed.isEmpty ? NSNull() : removed as Any])
    }
}
