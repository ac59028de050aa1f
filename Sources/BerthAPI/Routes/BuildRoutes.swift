import BerthEngine
import BerthOCI
import BerthRegistry
import Foundation

/// `POST /build` (Docker's classic builder protocol: a tar context in, a JSON stream out) and
/// `POST /build/prune`.
enum BuildRoutes {
    static func handle(_ c: RouteContext) async throws -> Bool {
        switch (c.method, c.path) {
        case ("POST", "/build"): try await build(c)
        case ("POST", "/build/prune"): try await prune(c)
        case ("GET", _) where c.path.hasPrefix("/images/") && c.path.hasSuffix("/audit"):
            try await audit(c, name: String(c.path.dropFirst("/images/".count).dropLast("/audit".count)))
        default: return false
        }
        return true
    }

    /// Query parameters berth reads; any other that asks for something is refused by name.
    static func options(_ c: RouteContext) throws -> Engine.BuildOptions {
        let q = c.req
        var o = Engine.BuildOptions()
        if let v = q.queryValue("version"), v == "2" {
            throw APIError.badRequest("BuildKit (version=2) is not supported by berthd; use the classic builder (DOCKER_BUILDKIT=0)")
        }
        for t in q.query["t"] ?? [] where !t.isEmpty {
            do { o.tags.append(try Reference(parsing: t).defaultingTag) } catch {
                throw APIError.badRequest("invalid tag \(t): \(error)")
            }
        }
        if let f = q.queryValue("dockerfile"), !f.isEmpty { o.dockerfile = f }
        if let raw = q.queryValue("buildargs"), !raw.isEmpty {
            guard let obj = try? JSONSerialization.jsonObject(with: Data(raw.utf8)) as? [String: Any] else {
                throw APIError.badRequest("buildargs must be a JSON object of strings, e.g. {\"VERSION\":\"1\"}")
            }
            for (k, v) in obj { o.buildArgs[k] = v as? String }
        }
        if let raw = q.queryValue("labels"), !raw.isEmpty {
            guard let obj = try? JSONSerialization.jsonObject(with: Data(raw.utf8)) as? [String: String] else {
                throw APIError.badRequest("labels must be a JSON object of strings")
            }
            o.labels = obj
        }
        o.noCache = q.queryBool("nocache")
        o.pull = q.queryBool("pull")
        o.quiet = q.queryBool("q")
        o.squash = q.queryBool("squash")
        if let rm = q.queryValue("rm"), ["0", "false", "False"].contains(rm) { o.removeIntermediate = false }
        o.forceRemove = q.queryBool("forcerm")
        if let t = q.queryValue("target"), !t.isEmpty { o.target = t }
        if let n = q.queryValue("networkmode"), !n.isEmpty {
            switch n {
            case "default", "bridge": o.networkMode = "bridge"
            case "none", "host": o.networkMode = n
            default: throw APIError.badRequest("networkmode \(n) is not supported for builds; use default, bridge, none or host")
            }
        }
        // berth's own parameter (BuildKit passes entitlements in its session): `--allow network.host`.
        for grant in (q.queryValue("allow") ?? "").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !grant.isEmpty {
            switch grant {
            case "network.host": o.entitlements.insert(grant)
            case "security.insecure": throw APIError.badRequest("the security.insecure entitlement is never granted by berthd")
            default: throw APIError.badRequest("unknown entitlement \(grant); berthd grants only network.host")
            }
        }
        if let p = q.queryValue("platform"), !p.isEmpty, p != Platform.host.description, p != "linux" {
            throw APIError.badRequest("platform \(p) is not supported: berthd builds for this host (\(Platform.host))")
        }
        if let r = q.queryValue("remote"), !r.isEmpty {
            throw APIError.badRequest("remote build contexts (\(r)) are not supported; send the context as the request body")
        }
        if let cf = q.queryValue("cachefrom"), !cf.isEmpty, cf != "[]", cf != "null" {
            throw APIError.badRequest("cachefrom is not supported by berthd; its local cache is used automatically")
        }
        if let iso = q.queryValue("isolation"), !iso.isEmpty, iso != "default" {
            throw APIError.badRequest("isolation \(iso) is not supported on Linux")
        }
        for key in ["memory", "memswap", "cpushares", "cpuperiod", "cpuquota", "shmsize"] {
            if let v = q.queryValue(key), !v.isEmpty, v != "0", v != "-1" || key != "memswap" {
                throw APIError.badRequest("\(key) limits for build steps are not supported by berthd; drop the option")
            }
        }
        for key in ["cpusetcpus", "cpusetmems", "cgroupparent", "outputs", "extrahosts"] {
            if let v = q.queryValue(key), !v.isEmpty, v != "[]", v != "null" {
                throw APIError.badRequest("the build option \(key) is not supported by berthd; drop it")
            }
        }
        if let u = q.queryValue("ulimits"), !u.isEmpty, u != "[]", u != "null" {
            throw APIError.badRequest("ulimits for build steps are not supported by berthd; drop --ulimit")
        }
        o.credentials = try registryConfig(c)
        o.secrets = try secrets(c)
        return o
    }

    /// The most secret bytes one build may carry (all values together): the header they travel
    /// in must fit the server's limit on request heads.
    static let maxSecretBytes = 32 * 1024

    /// `X-Berth-Build-Secrets` (berth's own; the classic /build API has no secrets field): URL-safe
    /// base64 of a JSON object, secret id → standard base64 of its value. `berth build --secret` sends it.
    static func secrets(_ c: RouteContext) throws -> [String: Data] {
        guard let header = c.req.header("X-Berth-Build-Secrets"), !header.isEmpty else { return [:] }
        var b64 = header.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        guard let data = Data(base64Encoded: b64), let obj = try? JSONSerialization.jsonObject(with: data) as? [String: String] else {
            throw APIError.badRequest("invalid X-Berth-Build-Secrets header: expected base64 JSON of id → base64 value")
        }
        var out: [String: Data] = [:]
        var total = 0
        for (id, value) in obj {
            guard !id.isEmpty, let bytes = Data(base64Encoded: value) else {
                throw APIError.badRequest("invalid X-Berth-Build-Secrets header: the secret \(id) is not base64")
            }
            total += bytes.count
            out[id] = bytes
        }
        guard total <= maxSecretBytes else {
            throw APIError.badRequest("build secrets total \(total) bytes, more than berthd takes (\(maxSecretBytes)); mount large files with --mount=type=bind instead")
        }
        return out
    }

    /// `X-Registry-Config`: base64 JSON of registry → auth config, for pulling FROM images.
    static func registryConfig(_ c: RouteContext) throws -> [String: RegistryCredentials] {
        guard let header = c.req.header("X-Registry-Config"), !header.isEmpty else { return [:] }
        var b64 = header.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        guard let data = Data(base64Encoded: b64), let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw APIError.badRequest("invalid X-Registry-Config header: not base64 JSON")
        }
        var out: [String: RegistryCredentials] = [:]
        for (registry, auth) in obj {
            guard let one = try? JSONSerialization.data(withJSONObject: auth) else { continue }
            if let creds = try? RegistryCredentials.decode(header: one.base64EncodedString()) {
                let host = registry.replacingOccurrences(of: "https://", with: "").replacingOccurrences(of: "http://", with: "")
                let domain = String(host.prefix { $0 != "/" })
                out[domain == "index.docker.io" ? "docker.io" : domain] = creds
                out[registry] = creds
            }
        }
        return out
    }

    static func build(_ c: RouteContext) async throws {
        let options = try options(c)
        let file = try await c.spoolBody()
        defer { try? FileManager.default.removeItem(atPath: file) }
        let (events, sink) = AsyncStream.makeStream(of: Engine.BuildEvent.self)
        let engine = c.engine
        let work = Task {
            defer { sink.finish() }
            return try await engine.build(contextTar: file, options: options) { sink.yield($0) }
        }
        try await c.startStream()
        for await e in events {
            switch e {
            case .stream(let text): try await c.streamMessage(["stream": text])
            case .built(let id): try await c.streamMessage(["aux": ["ID": id.description]])
            }
        }
        do {
            let id = try await work.value
            if options.quiet { try await c.streamMessage(["stream": id.description + "\n"]) }
        } catch let e as BuildFailure {
            var detail: [String: Any] = ["message": e.message]
            if let code = e.exitCode { detail["code"] = Int(code) }
            try await c.streamMessage(["errorDetail": detail, "error": e.message])
        } catch {
            let message = apiError(error).httpMessage
            try await c.streamMessage(["errorDetail": ["message": message], "error": message])
        }
        try await c.w.end()
    }

    /// `GET /images/{name}/audit` (berth's own): per layer, bytes added and hidden, largest files.
    static func audit(_ c: RouteContext, name: String) async throws {
        let top = Int(c.req.queryValue("top") ?? "") ?? 5
        let layers = try await c.engine.auditImage(name, top: top)
        try await c.json(layers.map { l in
            ["DiffID": l.diffID.description, "CreatedBy": l.createdBy, "AddedBytes": l.addedBytes, "HiddenBytes": l.hiddenBytes,
             "Files": l.files, "Largest": l.largest.map { ["Path": "/" + $0.path, "Size": $0.size] }] as [String: Any]
        })
    }

    /// `POST /build/prune`: `all`, `filters` (`until` only), `keep-storage` (or API 1.48's
    /// `reserved-space`, the same); anything else that asks for something is refused by name.
    static func prune(_ c: RouteContext) async throws {
        var o = Engine.BuildPruneOptions()
        o.all = c.req.queryBool("all")
        for (key, values) in try c.filters() {
            guard key == "until" || key == "unused-for" else { // unused-for: Docker's older name
                throw APIError.badRequest("build cache prune filter \(key) is not supported by berthd; use until=DURATION (e.g. until=24h)")
            }
            guard o.until == nil, values.count == 1, let value = values.first else { throw APIError.badRequest("give one until filter, e.g. until=24h") }
            do { o.until = TimeInterval(try GoDuration.parse(value)) / 1e9 } catch {
                throw APIError.badRequest("invalid until filter \(value): use a duration like 24h or 90m")
            }
        }
        for key in ["keep-storage", "reserved-space"] {
            guard let raw = c.req.queryValue(key), !raw.isEmpty else { continue }
            guard let n = Int64(raw), n >= 0 else { throw APIError.badRequest("\(key) must be a number of bytes, e.g. 1073741824") }
            o.keepStorage = max(o.keepStorage, n)
        }
        for key in ["max-used-space", "min-free-space"] {
            if let v = c.req.queryValue(key), !v.isEmpty, v != "0" {
                throw APIError.badRequest("\(key) is not supported by berthd's build cache prune; use keep-storage")
            }
        }
        let (deleted, reclaimed) = try await c.engine.pruneBuildCache(o)
        try await c.json(["CachesDeleted": deleted, "SpaceReclaimed": reclaimed])
    }
}
