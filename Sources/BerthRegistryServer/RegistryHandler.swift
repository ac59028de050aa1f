import BerthAPI
import BerthOCI
import Foundation
import NIOCore

/// Answers the distribution API and the HTML page: dispatch, authentication, read-only mode and the request log.
final class RegistryHandler: Sendable {
    let storage: RegistryStorage
    let uploads: UploadSessions
    let stats: RegistryStats
    let htpasswd: Htpasswd?
    let readOnly: Bool
    let log: RequestLog
    /// The realm named in `WWW-Authenticate`.
    static let realm = "berth-registry"

    init(storage: RegistryStorage, htpasswd: Htpasswd?, readOnly: Bool, log: RequestLog, maxUploads: Int = 256) {
        self.storage = storage
        self.uploads = UploadSessions(limit: maxUploads)
        self.stats = RegistryStats(storage: storage)
        self.htpasswd = htpasswd
        self.readOnly = readOnly
        self.log = log
    }

    /// What a route answered, for the log.
    struct Outcome {
        var status: Int
        var bytes: Int64 = 0
    }

    /// The `HTTPHandler` entry point.
    func handle(_ request: HTTPRequest, _ body: RequestBody, _ writer: ResponseWriter) async throws {
        let started = ContinuousClock.now
        // HTTPRequest takes `/v2` for an Engine API version prefix: put it back.
        let path = request.apiVersion.map { "/v\($0)\(request.path)" } ?? request.path
        var target = path
        if !request.query.isEmpty {
            target += "?" + request.query.keys.sorted().flatMap { key in request.query[key, default: []].map { "\(key)=\($0)" } }.joined(separator: "&")
        }
        var user: String?
        var outcome: Outcome
        do {
            if let htpasswd {
                user = await htpasswd.user(authorization: request.header("Authorization"))
                guard user != nil else { throw RegistryError(.unauthorized, "authentication required") }
            }
            outcome = try await dispatch(path: path, request, body, writer)
        } catch {
            let failure = error as? RegistryError ?? RegistryError(.unsupported, "internal error: \(error)", status: 500)
            guard !writer.headWritten else {
                log.record(user: user, method: request.method, target: target, status: 0, bytes: 0, started: started, failure: "\(error)")
                throw error
            }
            var headers = [("Content-Type", "application/json")]
            if failure.status == 401 { headers.append(("WWW-Authenticate", "Basic realm=\"\(Self.realm)\"")) }
            let data = failure.body
            try await writer.respond(status: failure.status, headers: headers, body: ByteBuffer(bytes: data))
            outcome = Outcome(status: failure.status, bytes: Int64(data.count))
        }
        log.record(user: user, method: request.method, target: target, status: outcome.status, bytes: outcome.bytes, started: started)
    }

    private func dispatch(path: String, _ request: HTTPRequest, _ body: RequestBody, _ writer: ResponseWriter) async throws -> Outcome {
        if path == "/" || path == "/ui" {
            guard request.method == "GET" || request.method == "HEAD" else { throw RegistryError(.unsupported, "method not allowed") }
            return try await servePage(writer)
        }
        guard let route = RegistryRoute(path: path) else {
            throw RegistryError(.unsupported, "no such endpoint: \(path)", status: 404)
        }
        let method = request.method
        if readOnly, ["POST", "PUT", "PATCH", "DELETE"].contains(method) {
            throw RegistryError(.unsupported, "the registry is read-only", status: 405)
        }
        switch route {
        case .ping:
            return try await json(writer, status: 200, Data("{}".utf8))
        case .catalog:
            guard method == "GET" else { throw methodNotAllowed(method) }
            return try await catalog(request, writer)
        default:
            break
        }
        let name = route.repository
        guard RegistryNames.isValidRepository(name) else { throw RegistryError(.nameInvalid, "invalid repository name \(name)") }
        switch (route, method) {
        case (.tags, "GET"): return try await tags(name, request, writer)
        case (.manifest(_, let reference), "GET"), (.manifest(_, let reference), "HEAD"):
            return try await getManifest(name, reference, isGet: method == "GET", writer)
        case (.manifest(_, let reference), "PUT"): return try await putManifest(name, reference, request, body, writer)
        case (.manifest(_, let reference), "DELETE"): return try await deleteManifest(name, reference, writer)
        case (.blob(_, let digest), "GET"), (.blob(_, let digest), "HEAD"):
            return try await getBlob(name, try parseDigest(digest), request, writer)
        case (.blob(_, let digest), "DELETE"): return try await deleteBlob(name, try parseDigest(digest), writer)
        case (.uploadStart, "POST"): return try await startUpload(name, request, body, writer)
        case (.upload(_, let id), "PATCH"): return try await patchUpload(name, id, request, body, writer)
        case (.upload(_, let id), "PUT"): return try await finishUpload(name, id, request, body, writer)
        case (.upload(_, let id), "GET"): return try await uploadStatus(name, id, writer)
        case (.upload(_, let id), "DELETE"): return try await cancelUpload(name, id, writer)
        case (.referrers(_, let digest), "GET"): return try await referrers(name, try parseDigest(digest), request, writer)
        default: throw methodNotAllowed(method)
        }
    }

    func methodNotAllowed(_ method: String) -> RegistryError {
        RegistryError(.unsupported, "method \(method) not allowed here", status: 405)
    }

    func parseDigest(_ text: String) throws(RegistryError) -> Digest {
        do { return try Digest(parsing: text) } catch { throw RegistryError(.digestInvalid, error.message) }
    }

    /// A whole JSON response.
    func json(_ writer: ResponseWriter, status: Int, _ data: Data, headers: [(String, String)] = [], contentType: String = "application/json") async throws -> Outcome {
        try await writer.respond(status: status, headers: [("Content-Type", contentType)] + headers, body: ByteBuffer(bytes: data))
        return Outcome(status: status, bytes: Int64(data.count))
    }

    /// An empty response with headers.
    func empty(_ writer: ResponseWriter, status: Int, headers: [(String, String)]) async throws -> Outcome {
        do {
            try await writer.respond(status: status, headers: headers)
        } catch let error as ChannelError where error == .ioOnClosedChannel && writer.headWritten {
            // With `Content-Length: 0` the head is the whole response: a client may close before the end is flushed.
        }
        return Outcome(status: status)
    }
}

extension RegistryRoute {
    /// The repository a route addresses ("" for ping and catalog).
    var repository: String {
        switch self {
        case .ping, .catalog: ""
        case .tags(let name), .manifest(let name, _), .blob(let name, _), .uploadStart(let name), .upload(let name, _), .referrers(let name, _): name
        }
    }
}
