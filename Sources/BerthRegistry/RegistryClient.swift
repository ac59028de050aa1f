import AsyncHTTPClient
import BerthStore
import NIOCore

/// Talks to OCI/Docker v2 registries: one shared HTTP client (connection pool, TLS with the
/// system trust store), and a `RepositorySession` per operation on one repository.
public final class RegistryClient: Sendable {
    public let insecure: InsecureRegistries
    let http: HTTPClient

    public init(insecure: InsecureRegistries = InsecureRegistries()) {
        self.insecure = insecure
        http = Self.sharedHTTP
    }

    /// One client for the process, never shut down (berthd lives as long as it does); redirects
    /// are followed up to 5 times and a cycle is an error; no transparent decompression, since
    /// a blob's digest is over its bytes as sent.
    /// A refused or unresolvable registry fails at once: the pool's own retries would wait
    /// out the whole deadline, and `RepositorySession` retries what is worth retrying itself.
    static let sharedHTTP: HTTPClient = {
        var config = HTTPClient.Configuration(
            redirectConfiguration: .follow(max: 5, allowCycles: false),
            timeout: .init(connect: .seconds(15), read: .seconds(120)),
            decompression: .disabled)
        config.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: config)
    }()

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
