import AsyncHTTPClient
import BerthOCI
import Foundation
import Glibc
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// One operation's conversation with one repository of a registry: it pings `/v2/` once to
/// learn the scheme (HTTPS, or HTTP for an insecure registry that has no TLS) and the auth
/// challenge, then sends requests with a bearer token or basic credentials, retrying with
/// backoff when the registry fails (5xx) or the connection breaks.
public final class RepositorySession: Sendable {
    public let endpoint: RegistryEndpoint
    /// The repository path, e.g. `library/busybox`.
    public let repository: String
    let client: RegistryClient
    let credentials: RegistryCredentials?
    let actions: [String]

    struct State {
        var base: String?
        var challenge: AuthChallenge?
        /// Bearer tokens by the scope they were issued for.
        var tokens: [String: String] = [:]
        /// Repositories a cross-repository mount reads from, added to the token scope.
        var mountSources: Set<String> = []
    }
    let state = Mutex(State())

    /// Attempts for a request that fails with 5xx or a broken connection.
    static let attempts = 4

    init(client: RegistryClient, endpoint: RegistryEndpoint, repository: String, credentials: RegistryCredentials?, actions: [String]) {
        self.client = client
        self.endpoint = endpoint
        self.repository = repository
        self.credentials = credentials
        self.actions = actions
    }

    /// `host/repository`, as error messages name it.
    public var name: String { "\(endpoint.domain)/\(repository)" }

    var tlsConfiguration: TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        // Like dockerd for an insecure registry: a certificate that does not verify is accepted.
        if endpoint.insecure { tls.certificateVerification = .none }
        return tls
    }

    // MARK: ping

    /// The `https://host` (or `http://host`) that answers the v2 API; pings once.
    ///
    /// A secure registry is reached over verified HTTPS only. An insecure one may also answer
    /// plain HTTP: a loopback registry is tried over HTTP first (traffic that never leaves the
    /// host, and a plain-HTTP server may sit on a TLS ClientHello until the connect timeout),
    /// any other over HTTPS first, as dockerd does.
    func base() async throws -> String {
        if let b = state.withLock({ $0.base }) { return b }
        let schemes = !endpoint.insecure ? ["https"] : endpoint.loopback ? ["http", "https"] : ["https", "http"]
        var failures: [String] = []
        for scheme in schemes {
            let url = "\(scheme)://\(endpoint.host)/v2/"
            var req = HTTPClientRequest(url: url)
            req.tlsConfiguration = tlsConfiguration
            do {
                let resp = try await client.http.execute(req, deadline: .now() + .seconds(schemes.count > 1 ? 10 : 60))
                let challenge = resp.headers.first(name: "WWW-Authenticate").flatMap(AuthChallenge.parse)
                _ = try? await resp.body.collect(upTo: 1 << 16)
                guard resp.status == .ok || resp.status == .unauthorized else {
                    failures.append("GET \(url) answered \(resp.status.code) \(resp.status.reasonPhrase), not the registry API v2")
                    continue
                }
                let origin = "\(scheme)://\(endpoint.host)"
                state.withLock {
                    $0.base = origin
                    $0.challenge = challenge
                }
                return origin
            } catch {
                failures.append("Get \"\(url)\": \(describe(error))")
            }
        }
        throw RegistryError(.unavailable, failures.joined(separator: "; "))
    }

    // MARK: requests

    /// Sends `method` to `target` (a path under the registry, or an absolute upload URL) and
    /// returns the response for the caller to read. A 401 refreshes the token once; 5xx and
    /// broken connections are retried with backoff when `body` can be sent again.
    func send(_ method: HTTPMethod, _ target: String, headers: [(String, String)] = [],
              body: (@Sendable () throws -> HTTPClientRequest.Body?)? = nil, retry: Bool = true) async throws -> HTTPClientResponse {
        let origin = try await base()
        let url = target.hasPrefix("http://") || target.hasPrefix("https://") ? target : origin + target
        var refreshedAuth = false
        var attempt = 0
        while true {
            attempt += 1
            var req = HTTPClientRequest(url: url)
            req.method = method
            req.tlsConfiguration = tlsConfiguration
            for (k, v) in headers { req.headers.add(name: k, value: v) }
            if let auth = try await authorization(), sameOrigin(url, origin) { req.headers.replaceOrAdd(name: "Authorization", value: auth) }
            req.body = try body?()
            let resp: HTTPClientResponse
            do {
                resp = try await execute(req)
            } catch let e as RegistryError {
                throw e
            } catch {
                if retry, attempt < Self.attempts, Self.isTransient(error) {
                    try await backoff(attempt)
                    continue
                }
                throw RegistryError(.unavailable, "\(method.rawValue.capitalized) \"\(url)\": \(describe(error))")
            }
            if resp.status == .unauthorized, !refreshedAuth {
                refreshedAuth = true
                let challenge = resp.headers.first(name: "WWW-Authenticate").flatMap(AuthChallenge.parse)
                _ = try? await resp.body.collect(upTo: 1 << 16)
                state.withLock {
                    if let challenge { $0.challenge = challenge }
                    $0.tokens = [:]
                }
                continue
            }
            if (500...599).contains(Int(resp.status.code)), retry, attempt < Self.attempts {
                _ = try? await resp.body.collect(upTo: 1 << 16)
                try await backoff(attempt)
                continue
            }
            return resp
        }
    }

    /// No deadline for the whole request: the connect and read timeouts bound silence (the
    /// read timeout runs once the request is sent), and an upload that keeps moving may take
    /// as long as it needs; a deadline cut pushes of large layers on slow links.
    func execute(_ req: HTTPClientRequest) async throws -> HTTPClientResponse {
        do {
            return try await client.http.execute(req, deadline: .distantFuture)
        } catch let e as HTTPClientError where e == .redirectCycleDetected || e == .redirectLimitReached {
            throw RegistryError(.invalid, "\(endpoint.host) redirected \(req.url) in a loop (or more than 5 times); refusing it")
        }
    }

    func sameOrigin(_ url: String, _ origin: String) -> Bool { url == origin || url.hasPrefix(origin + "/") }

    /// 0.5 s, 1 s, 2 s … with jitter, so a registry that recovers is not hit by every client at once.
    func backoff(_ attempt: Int) async throws {
        let ms = 500 * (1 << (attempt - 1))
        try await Task.sleep(for: .milliseconds(ms + Int.random(in: 0...(ms / 4))))
    }

    /// Whether trying again may help: a refused or reset connection, a timeout, a connection
    /// closed early. A TLS failure, a cancelled task, or a request the client itself refuses
    /// (bad URL, redirect loop) would fail the same way again.
    static func isTransient(_ error: any Error) -> Bool {
        if error is CancellationError || error is NIOSSLError || error is RegistryError { return false }
        if let e = error as? HTTPClientError {
            return [.remoteConnectionClosed, .readTimeout, .writeTimeout, .connectTimeout, .tlsHandshakeTimeout,
                    .getConnectionFromPoolTimeout, .uncleanShutdown].contains(e)
        }
        // Connection refused or reset arrive as NIO's socket errors.
        return true
    }

    func describe(_ error: (any Error)?) -> String {
        guard let error else { return "no answer" }
        if let e = error as? HTTPClientError {
            let t = client.timeouts
            switch e {
            case .readTimeout:
                return "timeout: \(endpoint.host) sent nothing for \(RegistryTimeouts.text(t.read)) (the read timeout; BERTH_REGISTRY_READ_TIMEOUT in berthd's environment sets it)"
            case .connectTimeout:
                return "dial tcp \(endpoint.host): i/o timeout after \(RegistryTimeouts.text(t.connect)) (BERTH_REGISTRY_CONNECT_TIMEOUT in berthd's environment sets it)"
            case .deadlineExceeded:
                return "timeout: \(endpoint.host) did not answer in time"
            default: return "\(e)"
            }
        }
        // NIO's "connection reset (error set): Connection refused) (errno: 111)" → Go's wording.
        if let e = error as? IOError { return "dial tcp \(endpoint.host): connect: \(String(cString: strerror(e.errnoCode)).lowercased())" }
        return String(describing: error)
    }

    // MARK: errors

    /// The registry's `{"errors":[{"code":…,"message":…}]}` body as Docker prints it
    /// ("manifest unknown: manifest unknown"), or the status line.
    func errorText(_ resp: HTTPClientResponse) async -> String {
        let body = (try? await resp.body.collect(upTo: 1 << 16)).map { Data(buffer: $0) } ?? Data()
        struct Body: Decodable {
            struct Item: Decodable { var code: String?; var message: String? }
            var errors: [Item]?
        }
        if let parsed = try? JSONDecoder().decode(Body.self, from: body), let items = parsed.errors, !items.isEmpty {
            return items.map { i in
                let code = (i.code ?? "unknown").lowercased().replacingOccurrences(of: "_", with: " ")
                return i.message.map { "\(code): \($0)" } ?? code
            }.joined(separator: ", ")
        }
        return "\(resp.status.code) \(resp.status.reasonPhrase)"
    }

    /// Maps a failed response to an error naming what was asked.
    func failure(_ resp: HTTPClientResponse, _ what: String) async -> RegistryError {
        let text = await errorText(resp)
        switch resp.status {
        case .unauthorized, .forbidden:
            return RegistryError(.unauthorized, "\(what): \(text.hasPrefix("unauthorized") || text.hasPrefix("denied") ? text : "unauthorized: \(text)")")
        case .notFound: return RegistryError(.notFound, "\(what): \(text)")
        case .tooManyRequests: return RegistryError(.unavailable, "\(what): \(text) (the registry limits the request rate; try again later)")
        default:
            return RegistryError(resp.status.code >= 500 ? .unavailable : .invalid, "\(what): \(text)")
        }
    }
}

extension Data {
    init(buffer: ByteBuffer) {
        self = Data(buffer.readableBytesView)
    }
}
