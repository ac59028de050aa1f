import BerthEngine
import Foundation

/// `/volumes/...`: create, list, inspect, remove, prune.
enum VolumeRoutes {
    static func handle(_ c: RouteContext) async throws -> Bool {
        switch (c.method, c.path) {
        case ("POST", "/volumes/create"): try await create(c)
        case ("GET", "/volumes"): try await list(c)
        case ("POST", "/volumes/prune"): try await prune(c)
        default:
            guard c.path.hasPrefix("/volumes/") else { return false }
            let name = String(c.path.dropFirst("/volumes/".count))
            guard !name.isEmpty, !name.contains("/") else { return false }
            switch c.method {
            case "GET":
                try await c.json(json(try await c.engine.inspectVolume(name), c.engine))
            case "DELETE":
                try await c.engine.removeVolume(name, force: c.req.queryBool("force"))
                try await c.noContent()
            case "PUT":
                throw APIError.badRequest("volume update applies to cluster volumes, which berthd does not have")
            default:
                return false
            }
        }
        return true
    }

    /// Docker's volume object.
    static func json(_ v: Volume, _ e: Engine) -> [String: Any] {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return ["CreatedAt": f.string(from: v.created), "Driver": v.driver, "Labels": v.labels.map { $0 as Any } ?? NSNull(),
                "Mountpoint": e.volumes.dataPath(v.name), "Name": v.name, "Options": v.options.map { $0 as Any } ?? NSNull(),
                "Scope": "local"]
    }

    /// `{"Name","Driver","DriverOpts","Labels"}`; any may be missing or null (docker-py sends nulls).
    static func create(_ c: RouteContext) async throws {
        var buffer = try await c.body.collect(upTo: 1 << 20)
        let data = Data(buffer.readBytes(length: buffer.readableBytes) ?? [])
        let body: [String: Any]
        if data.isEmpty {
            body = [:]
        } else {
            guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw APIError.badRequest("the volume config is not a JSON object like {\"Name\":\"data\"}")
            }
            body = obj
        }
        if let spec = body["ClusterVolumeSpec"], !(spec is NSNull) {
            throw APIError.badRequest("cluster volumes (ClusterVolumeSpec) need swarm, which berthd does not have")
        }
        func strings(_ key: String) throws -> [String: String]? {
            guard let v = body[key], !(v is NSNull) else { return nil }
            guard let m = v as? [String: String] else { throw APIError.badRequest("\(key) must be an object of strings") }
            return m
        }
        let v = try await c.engine.createVolume(name: body["Name"] as? String, driver: body["Driver"] as? String,
                                                driverOptions: try strings("DriverOpts"), labels: try strings("Labels"))
        try await c.json(json(v, c.engine), status: 201)
    }

    static func list(_ c: RouteContext) async throws {
        var f = Engine.VolumeFilters()
        for (k, values) in try c.filters() {
            switch k {
            case "name": f.names = values
            case "label": f.labels = values
            case "driver": f.drivers = values
            case "dangling":
                guard let v = values.first, let b = bool(v) else {
                    throw APIError.badRequest("invalid filter 'dangling=\(values.first ?? "")': use true or false")
                }
                f.dangling = b
            default:
                throw APIError.badRequest("invalid filter '\(k)': volumes accept name, label, dangling and driver")
            }
        }
        let volumes = await c.engine.listVolumes(f)
        try await c.json(["Volumes": volumes.map { json($0, c.engine) }, "Warnings": NSNull()])
    }

    /// Since API 1.42 (Docker 23) only anonymous volumes go unless `all=true`; before, every
    /// unused volume.
    static func prune(_ c: RouteContext) async throws {
        var labels: [String] = [], notLabels: [String] = []
        var all = !c.atLeast("1.42")
        for (k, values) in try c.filters() {
            switch k {
            case "label": labels = values
            case "label!": notLabels = values
            case "all":
                guard let v = values.first, let b = bool(v) else {
                    throw APIError.badRequest("invalid filter 'all=\(values.first ?? "")': use true or false")
                }
                all = b
            default:
                throw APIError.badRequest("invalid filter '\(k)': volume prune accepts label, label! and all")
            }
        }
        let (deleted, reclaimed) = await c.engine.pruneVolumes(all: all, labels: labels, notLabels: notLabels)
        try await c.json(["VolumesDeleted": deleted.isEmpty ? NSNull() : deleted as Any, "SpaceReclaimed": reclaimed])
    }

    static func bool(_ s: String) -> Bool? {
        switch s.lowercased() {
        case "true", "1": true
        case "false", "0": false
        default: nil
        }
    }
}
