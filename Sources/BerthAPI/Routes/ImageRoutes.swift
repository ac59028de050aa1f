import BerthEngine
import BerthOCI
import Foundation
import NIOCore

/// `/images/...`: list, inspect, history, tag, remove, prune, import, load, save (pull and push: DistributionRoutes).
enum ImageRoutes {
    static func handle(_ c: RouteContext) async throws -> Bool {
        let p = c.path
        switch (c.method, p) {
        case ("GET", "/images/json"): try await list(c)
        case ("POST", "/images/create"): try await create(c)
        case ("POST", "/images/load"): try await load(c)
        case ("GET", "/images/get"): try await save(c, names: c.req.query["names"] ?? [])
        case ("POST", "/images/prune"): try await prune(c)
        default:
            guard p.hasPrefix("/images/") else { return false }
            let rest = String(p.dropFirst("/images/".count))
            if c.method == "DELETE" {
                try await remove(c, name: rest)
                return true
            }
            guard let slash = rest.lastIndex(of: "/") else { return false }
            let name = String(rest[..<slash])
            switch (c.method, String(rest[rest.index(after: slash)...])) {
            case ("GET", "json"): try await c.json(try await inspect(c, name))
            case ("GET", "history"): try await history(c, name)
            case ("POST", "tag"): try await tag(c, name)
            case ("GET", "get"): try await save(c, names: [name])
            default: return false
            }
        }
        return true
    }

    /// One entry of `GET /images/json`.
    static func summary(_ v: Engine.ImageView, _ c: RouteContext) -> [String: Any] {
        var s: [String: Any] = [
            "Id": v.record.id.description, "ParentId": "", "RepoTags": v.tags.map(\.familiar),
            "RepoDigests": v.record.repoDigests, "Created": Int((v.record.created ?? v.record.added).timeIntervalSince1970),
            "Size": v.record.size, "SharedSize": -1, "Containers": -1,
            "Labels": (v.config.config?.labels).map { $0 as Any } ?? NSNull(),
        ]
        if !c.atLeast("1.44") { s["VirtualSize"] = v.record.size }
        if v.tags.isEmpty && !c.atLeast("1.43") { s["RepoTags"] = ["<none>:<none>"] }
        return s
    }

    static func list(_ c: RouteContext) async throws {
        let f = try c.filters()
        var filters = Engine.ImageFilters()
        for (k, vals) in f {
            switch k {
            case "dangling":
                guard let v = vals.first, ["true", "false", "1", "0"].contains(v.lowercased()) else {
                    throw APIError.badRequest("invalid filter 'dangling=\(vals.first ?? "")': use true or false")
                }
                filters.dangling = v == "true" || v == "1"
            case "reference": filters.references = vals
            case "label": filters.labels = vals
            case "before": filters.before = vals.first
            case "since": filters.since = vals.first
            default: throw APIError.badRequest("invalid filter '\(k)': images accept dangling, reference, label, before, since")
            }
        }
        let views = try await c.engine.listImages(filters)
        try await c.json(views.map { summary($0, c) })
    }

    static func inspect(_ c: RouteContext, _ name: String) async throws -> [String: Any] {
        let v = try await c.engine.inspectImage(name)
        let raw = (try? JSONSerialization.jsonObject(with: v.configData) as? [String: Any]) ?? [:]
        var config = raw["config"] as? [String: Any] ?? [:]
        for (k, d) in [("Env", NSNull()), ("Cmd", NSNull()), ("Entrypoint", NSNull()), ("Labels", NSNull()), ("OnBuild", NSNull())] as [(String, Any)]
        where config[k] == nil { config[k] = d }
        for k in ["User", "WorkingDir"] where config[k] == nil { config[k] = "" }
        let chain = v.record.chainIDs
        let lower = chain.dropLast().reversed().map { c.engine.snapshots.diffPath($0) }.joined(separator: ":")
        var graph: [String: Any] = ["UpperDir": chain.last.map { c.engine.snapshots.diffPath($0) } ?? ""]
        if !lower.isEmpty { graph["LowerDir"] = lower }
        var out: [String: Any] = [
            "Id": v.record.id.description, "RepoTags": v.tags.map(\.familiar), "RepoDigests": v.record.repoDigests,
            "Parent": "", "Comment": v.config.history?.last?.comment ?? "",
            "Created": v.config.created ?? GoTime.format(v.record.added), "DockerVersion": "", "Author": v.config.author ?? "",
            "Config": config, "Architecture": v.config.architecture, "Os": v.config.os, "Size": v.record.size,
            "GraphDriver": ["Name": "overlay", "Data": graph],
            "RootFS": ["Type": "layers", "Layers": v.record.diffIDs.map(\.description)],
            "Metadata": ["LastTagTime": GoTime.format(v.record.added)],
            "Descriptor": ["mediaType": v.record.manifest.mediaType, "digest": v.record.manifest.digest.description, "size": v.record.manifest.size],
        ]
        if let variant = v.config.variant { out["Variant"] = variant }
        if !c.atLeast("1.44") { out["VirtualSize"] = v.record.size }
        if !c.atLeast("1.45") { out["Container"] = ""; out["ContainerConfig"] = config }
        return out
    }

    static func history(_ c: RouteContext, _ name: String) async throws {
        let items = try await c.engine.history(name)
        try await c.json(items.map { h -> [String: Any] in
            ["Id": h.id, "Created": Int(h.created?.timeIntervalSince1970 ?? 0), "CreatedBy": h.createdBy,
             "Tags": h.tags.isEmpty ? NSNull() : h.tags as Any, "Size": h.size, "Comment": h.comment]
        })
    }

    static func tag(_ c: RouteContext, _ name: String) async throws {
        guard let repo = c.req.queryValue("repo"), !repo.isEmpty else {
            throw APIError.badRequest("tag: repo is required (POST /images/{name}/tag?repo=NAME&tag=TAG)")
        }
        var target = try Reference(parsing: repo)
        if let t = c.req.queryValue("tag"), !t.isEmpty {
            guard target.tag == nil, target.digest == nil else { throw APIError.badRequest("tag: give the tag either in repo or in tag, not both") }
            target = try Reference(parsing: "\(repo):\(t)")
        }
        guard target.digest == nil else { throw APIError.badRequest("refusing to create a tag with a digest reference (\(target.familiar))") }
        try await c.engine.tagImage(name, as: target.defaultingTag)
        try await c.noContent(201)
    }

    static func remove(_ c: RouteContext, name: String) async throws {
        let items = try await c.engine.removeImage(name, force: c.req.queryBool("force"), prune: !c.req.queryBool("noprune"))
        try await c.json(items.map(deleteItem))
    }

    static func deleteItem(_ i: Engine.DeleteItem) -> [String: Any] {
        switch i {
        case .untagged(let s): ["Untagged": s]
        case .deleted(let d): ["Deleted": d.description]
        }
    }

    static func prune(_ c: RouteContext) async throws {
        let f = try c.filters()
        var all = false
        if let d = f["dangling"]?.first { all = d == "false" || d == "0" }
        for k in f.keys where !["dangling", "label"].contains(k) {
            throw APIError.badRequest("invalid filter '\(k)': image prune accepts dangling and label")
        }
        let (deleted, reclaimed) = try await c.engine.pruneImages(all: all, labels: f["label"] ?? [])
        try await c.json(["ImagesDeleted": deleted.isEmpty ? NSNull() : deleted.map(deleteItem) as Any, "SpaceReclaimed": reclaimed])
    }

    /// `POST /images/create?fromSrc=-` imports the request body (`fromImage` is a pull: DistributionRoutes).
    static func create(_ c: RouteContext) async throws {
        guard let src = c.req.queryValue("fromSrc") else {
            throw APIError.badRequest("images/create needs fromImage (pull) or fromSrc (import)")
        }
        guard src == "-" else {
            throw APIError.badRequest("import from a URL (\(src)) is not supported; pass the tarball as the request body with fromSrc=-")
        }
        var opts = Engine.ImportOptions()
        if let repo = c.req.queryValue("repo"), !repo.isEmpty {
            let tag = c.req.queryValue("tag").flatMap { $0.isEmpty ? nil : $0 }
            opts.tag = try Reference(parsing: tag.map { "\(repo):\($0)" } ?? repo).defaultingTag
        }
        opts.changes = c.req.query["changes"] ?? []
        opts.message = c.req.queryValue("message").flatMap { $0.isEmpty ? nil : $0 }
        if let p = c.req.queryValue("platform"), !p.isEmpty, p != Platform.host.description, p != "linux" {
            throw APIError.badRequest("import: platform \(p) is not supported; this host runs \(Platform.host)")
        }
        let file = try await c.spoolBody()
        defer { try? FileManager.default.removeItem(atPath: file) }
        let record = try await c.engine.importImage(tarPath: file, options: opts)
        try await c.startStream()
        try await c.streamMessage(["status": record.id.description])
        try await c.w.end()
    }

    /// Streams per-layer progress (unless `quiet`) and the "Loaded image" lines as they happen;
    /// a failure after the stream started is reported in-band, as dockerd does.
    static func load(_ c: RouteContext) async throws {
        let file = try await c.spoolBody()
        defer { try? FileManager.default.removeItem(atPath: file) }
        let quiet = c.req.queryBool("quiet")
        let (events, sink) = AsyncStream.makeStream(of: Engine.Progress.self)
        let engine = c.engine
        let work = Task {
            defer { sink.finish() }
            return try await engine.load(archivePath: file) { sink.yield($0) }
        }
        try await c.startStream()
        for await e in events {
            switch e {
            case .layer(let id, let bytes) where !quiet:
                let size = HumanUnits.size(bytes, precision: 4)
                try await c.streamMessage(["status": "Loading layer", "id": id.short, "progressDetail": ["current": bytes, "total": bytes],
                                           "progress": "[==================================================>]  \(size)/\(size)"])
            case .message(let line):
                try await c.streamMessage(["stream": line + "\n"])
            default:
                break
            }
        }
        do {
            _ = try await work.value
        } catch {
            let message = (apiError(error)).httpMessage
            try await c.streamMessage(["errorDetail": ["message": message], "error": message])
        }
        try await c.w.end()
    }

    static func save(_ c: RouteContext, names: [String]) async throws {
        guard !names.isEmpty else { throw APIError.badRequest("save: name at least one image") }
        let file = c.engine.scratchPath(".tar")
        defer { try? FileManager.default.removeItem(atPath: file) }
        try await c.engine.save(names: names, to: file)
        guard let h = FileHandle(forReadingAtPath: file) else { throw EngineError(.internalError, "cannot read \(file)") }
        defer { try? h.close() }
        try await c.w.writeHead(status: 200, headers: [("Content-Type", "application/x-tar")])
        while true {
            let chunk = h.readData(ofLength: 1 << 20)
            if chunk.isEmpty { break }
            try await c.w.write(ByteBuffer(bytes: chunk))
        }
        try await c.w.end()
    }
}

