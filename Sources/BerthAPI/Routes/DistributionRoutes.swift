import BerthEngine
import BerthOCI
import BerthRegistry
import Foundation
import NIOCore

/// Registry traffic: `POST /images/create?fromImage=` (pull), `POST /images/{name}/push`,
/// `POST /auth` (login). Pull and push answer Docker's JSON progress stream.
enum DistributionRoutes {
    static func handle(_ c: RouteContext) async throws -> Bool {
        switch (c.method, c.path) {
        case ("POST", "/auth"):
            try await login(c)
        case ("GET", "/images/search"):
            try await search(c)
        case ("POST", "/images/create"):
            guard let from = c.req.queryValue("fromImage"), !from.isEmpty else { return false }
            try await pull(c, from: from)
        case ("POST", _) where c.path.hasPrefix("/images/") && c.path.hasSuffix("/push"):
            let name = String(c.path.dropFirst("/images/".count).dropLast("/push".count))
            try await push(c, name: name)
        default:
            return false
        }
        return true
    }

    /// The credentials in `X-Registry-Auth` (base64 JSON, as the docker CLI sends them).
    static func credentials(_ c: RouteContext) throws -> RegistryCredentials? {
        do { return try RegistryCredentials.decode(header: c.req.header("X-Registry-Auth")) } catch {
            throw APIError.badRequest("invalid X-Registry-Auth header: \(error.message)")
        }
    }

    static func pull(_ c: RouteContext, from: String) async throws {
        var ref = try Reference(parsing: from)
        if let tag = c.req.queryValue("tag"), !tag.isEmpty {
            // The docker CLI sends a digest reference's digest as the tag.
            if tag.contains(":") {
                ref = Reference(domain: ref.domain, path: ref.path, tag: nil, digest: try Digest(parsing: tag))
            } else {
                ref = try Reference(parsing: "\(ref.repository):\(tag)")
            }
        }
        let platform = try c.req.queryValue("platform").flatMap { $0.isEmpty ? nil : $0 }.map { p throws(OCIError) in try Platform(parsing: p) }
        let creds = try credentials(c)
        let engine = c.engine
        let target = ref
        if target.tag == nil, target.digest == nil {
            // `pull --all-tags`: no tag at all.
            try await transfer(c) { events in try await engine.pullAllTags(target, platform: platform, credentials: creds, events: events) }
            return
        }
        try await transfer(c) { events in _ = try await engine.pull(target, platform: platform, credentials: creds, events: events) }
    }

    static func push(_ c: RouteContext, name: String) async throws {
        let ref = try Reference(parsing: name)
        let tag = c.req.queryValue("tag").flatMap { $0.isEmpty ? nil : $0 }
        let creds = try credentials(c)
        let engine = c.engine
        try await transfer(c) { events in try await engine.push(ref, tag: tag, credentials: creds, events: events) }
    }

    /// `GET /images/search?term=&limit=&filters=`: repositories of a registry's catalog matching the term.
    static func search(_ c: RouteContext) async throws {
        guard let term = c.req.queryValue("term"), !term.isEmpty else { throw APIError.badRequest("a search term is required") }
        var limit = 25
        if let text = c.req.queryValue("limit"), !text.isEmpty {
            guard let n = Int(text), (1...100).contains(n) else { throw APIError.badRequest("limit \(text) is outside the range of [1, 100]") }
            limit = n
        }
        let filters = try c.filters()
        for key in filters.keys where !["is-official", "is-automated", "stars"].contains(key) {
            throw APIError.badRequest("invalid filter '\(key)'")
        }
        func flag(_ key: String) throws -> Bool? {
            guard let value = filters[key]?.first else { return nil }
            guard let b = Bool(value.lowercased()) else { throw APIError.badRequest("invalid filter '\(key)=\(value)'") }
            return b
        }
        let official = try flag("is-official"), automated = try flag("is-automated")
        let stars = try filters["stars"]?.first.map { text throws -> Int in
            guard let n = Int(text) else { throw APIError.badRequest("invalid filter 'stars=\(text)'") }
            return n
        }
        let results = try await c.engine.search(term, limit: limit, credentials: try credentials(c)).filter {
            (official == nil || $0.isOfficial == official) && (automated == nil || $0.isAutomated == automated) && $0.starCount >= (stars ?? 0)
        }
        try await c.json(results.map {
            ["name": $0.name, "description": $0.description, "star_count": $0.starCount, "is_official": $0.isOfficial, "is_automated": $0.isAutomated] as [String: Any]
        })
    }

    static func login(_ c: RouteContext) async throws {
        var data = Data()
        while var chunk = try await c.body.next() {
            if let bytes = chunk.readBytes(length: chunk.readableBytes) { data.append(contentsOf: bytes) }
        }
        let creds: RegistryCredentials?
        do { creds = try RegistryCredentials.decode(json: data) } catch { throw APIError.badRequest(error.message) }
        guard let creds else { throw APIError.badRequest("login: give a username and password") }
        let obj = (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
        let server = (obj["serveraddress"] as? String).flatMap { $0.isEmpty ? nil : $0 } ?? "https://index.docker.io/v1/"
        try await c.engine.login(server: server, credentials: creds)
        try await c.json(["Status": "Login Succeeded", "IdentityToken": ""])
    }

    /// Runs `work` and streams its events as Docker's JSON messages. An error before the first
    /// event is answered with its status code (the CLI prints it as it does dockerd's); after
    /// that it goes in-band as `errorDetail`, since the 200 head is already out.
    static func transfer(_ c: RouteContext, _ work: @escaping @Sendable (@escaping @Sendable (Engine.TransferEvent) -> Void) async throws -> Void) async throws {
        let (events, sink) = AsyncStream.makeStream(of: Engine.TransferEvent.self)
        let task = Task {
            defer { sink.finish() }
            try await work { sink.yield($0) }
        }
        var started = false
        for await e in events {
            if !started {
                try await c.startStream()
                started = true
            }
            try await c.streamMessage(message(e))
        }
        do {
            try await task.value
        } catch {
            guard started else { throw error }
            let text = apiError(error).httpMessage
            try await c.streamMessage(["errorDetail": ["message": text], "error": text])
        }
        if !started { try await c.startStream() }
        try await c.w.end()
    }

    /// One event as dockerd's JSON message.
    static func message(_ e: Engine.TransferEvent) -> [String: Any] {
        switch e {
        case .status(let text, let id):
            return id.map { ["status": text, "id": $0] } ?? ["status": text]
        case .layer(let id, let status):
            return ["status": status, "progressDetail": [String: Any](), "id": id]
        case .progress(let id, let status, let current, let total):
            return ["status": status, "progressDetail": ["current": current, "total": total], "progress": progressBar(current, total), "id": id]
        case .pushed(let tag, let digest, let size):
            return ["progressDetail": [String: Any](), "aux": ["Tag": tag, "Digest": digest.description, "Size": size]]
        }
    }

    /// Docker's `JSONProgress.String()` at its default width:
    /// `[=====>     ]  1.2MB/3.4MB`, or only the count when `current` overshoots `total`.
    static func progressBar(_ current: Int64, _ total: Int64) -> String {
        guard total > 0 else { return pad(HumanUnits.size(current, precision: 4)) }
        let percent = min(50, Int(Double(current) / Double(total) * 100) / 2)
        let bar = "[" + String(repeating: "=", count: percent) + ">" + String(repeating: " ", count: 50 - percent) + "] "
        let now = HumanUnits.size(current, precision: 4)
        return bar + (current > total ? pad(now) : pad(now) + "/" + HumanUnits.size(total, precision: 4))
    }

    /// Go's `%8v`: right-aligned in 8 columns.
    static func pad(_ s: String) -> String { String(repeating: " ", count: max(0, 8 - s.count)) + s }
}
