import BerthEngine
import Foundation
import NIOCore

/// berthd's Docker Engine API: checks the version prefix and dispatches to a route.
public struct EngineAPI: Sendable {
    public let engine: Engine

    public init(engine: Engine) { self.engine = engine }

    /// Headers dockerd sends on every response.
    public static var defaultHeaders: [(String, String)] {
        [("Api-Version", APIVersion.current), ("Ostype", "linux"), ("Docker-Experimental", "false"),
         ("Server", "Berth/\(APIVersion.engineVersion) (linux)")]
    }

    /// The HTTP handler for HTTPServer.
    public func handle(_ req: HTTPRequest, _ body: RequestBody, _ w: ResponseWriter) async throws {
        if let v = req.apiVersion {
            if APIVersion.compare(v, APIVersion.current) > 0 {
                throw APIError.badRequest("client version \(v) is too new. Maximum supported API version is \(APIVersion.current)")
            }
            if APIVersion.compare(v, APIVersion.minimum) < 0 {
                throw APIError.badRequest("client version \(v) is too old. Minimum supported API version is \(APIVersion.minimum), please upgrade your client to a newer version")
            }
        }
        let ctx = RouteContext(engine: engine, req: req, body: body, w: w, version: req.apiVersion ?? APIVersion.current)
        do {
            if try await SystemRoutes.handle(ctx) { return }
            if try await DistributionRoutes.handle(ctx) { return }
            if try await ImageRoutes.handle(ctx) { return }
            if try await ContainerRoutes.handle(ctx) { return }
            if try await ExecRoutes.handle(ctx) { return }
            if try await VolumeRoutes.handle(ctx) { return }
            if try await EventRoutes.handle(ctx) { return }
            if try await NetworkRoutes.handle(ctx) { return }
            if try await BuildRoutes.handle(ctx) { return }
        } catch let e as HTTPErrorConvertible {
            throw e
        } catch {
            throw apiError(error)
        }
        if let feature = Self.notYet(req.method, req.path) {
            throw APIError(501, "berthd does not support \(feature) yet; see the open issues for when it lands")
        }
        throw APIError.notFound("page not found")
    }

    /// Docker endpoints berthd knows of but does not implement yet: a clear 501 beats a 404
    /// that clients read as "no such object".
    static func notYet(_ method: String, _ path: String) -> String? {
        let parts = path.split(separator: "/").map(String.init)
        guard let first = parts.first else { return nil }
        switch first {
        case "swarm", "services", "nodes", "tasks", "secrets", "configs": return "swarm mode"
        case "plugins": return "plugins"
        case "session": return "BuildKit sessions"
        case "distribution": return "registry distribution lookups"
        case "containers" where parts.count == 3:
            switch parts[2] {
            case "attach" where method == "GET": return "attaching over websockets"
            default: return nil
            }
        default: return nil
        }
    }
}

/// What a route needs to answer one request.
struct RouteContext: Sendable {
    let engine: Engine
    let req: HTTPRequest
    let body: RequestBody
    let w: ResponseWriter
    /// The API version the client asked for (or the current one).
    let version: String

    var method: String { req.method }
    var path: String { req.path }

    func atLeast(_ v: String) -> Bool { APIVersion.compare(version, v) >= 0 }

    /// Answers with a JSON value built from dictionaries and arrays.
    func json(_ value: Any, status: Int = 200) async throws {
        let data = try JSONText.data(value)
        try await w.respond(status: status, headers: [("Content-Type", "application/json")], body: ByteBuffer(bytes: data))
    }

    func noContent(_ status: Int = 204) async throws {
        try await w.respond(status: status, headers: [], body: ByteBuffer())
    }

    /// Starts a JSON message stream (pull, load, import progress).
    func startStream() async throws {
        try await w.writeHead(status: 200, headers: [("Content-Type", "application/json")])
    }

    /// One message of a JSON stream, flushed at once.
    func streamMessage(_ value: [String: Any]) async throws {
        var data = try JSONText.data(value)
        data.append(contentsOf: [0x0d, 0x0a])
        try await w.write(ByteBuffer(bytes: data))
    }

    /// Writes the request body to a scratch file (uploads of image archives can be gigabytes).
    func spoolBody() async throws -> String {
        let path = engine.scratchPath(".upload")
        guard let h = FileManager.default.createFile(atPath: path, contents: nil) ? FileHandle(forWritingAtPath: path) : nil else {
            throw EngineError(.internalError, "cannot create scratch file \(path)")
        }
        defer { try? h.close() }
        while var chunk = try await body.next() {
            if let bytes = chunk.readBytes(length: chunk.readableBytes) { try h.write(contentsOf: bytes) }
        }
        return path
    }

    /// Docker's `filters` query: `{"k":{"v":true}}` (CLI) or `{"k":["v"]}` (docker-py).
    func filters() throws -> [String: [String]] {
        guard let raw = req.queryValue("filters"), !raw.isEmpty else { return [:] }
        guard let obj = try? JSONSerialization.jsonObject(with: Data(raw.utf8)) as? [String: Any] else {
            throw APIError.badRequest("invalid filters: \(raw) is not a JSON object like {\"label\":[\"k=v\"]}")
        }
        var out: [String: [String]] = [:]
        for (k, v) in obj {
            if let list = v as? [String] { out[k] = list } else if let map = v as? [String: Any] {
                out[k] = map.compactMap { key, value in (value as? Bool) == false ? nil : key }.sorted()
            } else {
                throw APIError.badRequest("invalid filter \(k): expected a list or a map of values")
            }
        }
        return out
    }
}
