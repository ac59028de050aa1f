import AsyncHTTPClient
import BerthStore
import NIOCore
import Synchronization

/// Talks to OCI/Docker v2 registries: one shared HTTP client (connection pool, TLS with the
/// system trust store), and a `RepositorySession` per operation on one repository.
public final class RegistryClient: Sendable {
    public let insecure: InsecureRegistries
    public let timeouts: RegistryTimeouts
    let http: HTTPClient

    public init(insecure: InsecureRegistries = InsecureRegistries(), timeouts: RegistryTimeouts = RegistryTimeouts()) {
        self.insecure = insecure
        self.timeouts = timeouts
        http = Self.sharedHTTP(timeouts)
    }

    static let clients = Mutex<[RegistryTimeouts: HTTPClient]>([:])

    /// One client per set of timeouts for the process, never shut down (berthd lives as long
    /// as it does); redirects are followed up to 5 times and a cycle is an error (a redirect to
    /// another origin drops the Authorization header); no transparent decompression, since a
    /// blob's digest is over its bytes as sent.
    /// A refused or unresolvable registry fails at once: the pool's own retries would wait
    /// out the whole deadline, and `RepositorySession` retries what is worth retrying itself.
    static func sharedHTTP(_ timeouts: RegistryTimeouts) -> HTTPClient {
        clients.withLock { clients in
            if let c = clients[timeouts] { return c }
            var config = HTTPClient.Configuration(
                redirectConfiguration: .follow(max: 5, allowCycles: false),
                timeout: .init(connect: .nanoseconds(RegistryTimeouts.nanoseconds(timeouts.connect)),
                               read: .nanoseconds(RegistryTimeouts.nanoseconds(timeouts.read))),
                decompression: .disabled)
            config.connectionPool.retryConnectionEstablishment = false
            let c = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: config)
            clients[timeouts] = c
            return c
        }
    }

    /// The endpoint serving `domain`; resolving whether it is insecure may ask the resolver.
    public func endpoint(for domain: String) async throws -> RegistryEndpoint {
        let insecure = self.insecure
        return try await Blocking.run { RegistryEndpoint(domain: domain, insecure: insecure) }
    }

    /// A session for `repository` (the path, e.g. `library/busybox`) on `domain`, asking for
    /// `actions` (`pull`, or `pull,push`) in the token scope.
    public func session(domain: String, repository: String, credentials: RegistryCredentials?,
                        actions: [String] = ["pull"]) async throws -> RepositorySession {
        RepositorySession(client: self, endpoint: try await endpoint(for: domain), repository: repository,
                          credentials: credentials, actions: actions)
    }
}
