import BerthAPI
import BerthStore
import Foundation
import NIOCore
import NIOSSL

/// `berth registry serve`: the OCI distribution API over HTTP or HTTPS, storing under one root directory.
public struct RegistryServer: Sendable {
    /// How the server is set up (the command's flags).
    public struct Options: Sendable {
        public var host = "127.0.0.1"
        public var port = 5000
        public var root: String
        public var tlsCertificate: String?
        public var tlsKey: String?
        public var htpasswd: String?
        public var readOnly = false
        /// Request log file; nil logs to stderr.
        public var logPath: String?
        /// A connection with no request this long is closed (`--idle-timeout`).
        public var idleTimeout: Duration = .seconds(120)
        /// A request body bringing less than 1 KiB in this long, or a response the client stops
        /// reading for this long, is cut off (`--read-timeout`).
        public var readTimeout: Duration = .seconds(60)
        /// Connections served at once; more get 503 UNAVAILABLE (`--max-connections`).
        public var maxConnections = 512
        /// Upload sessions open at once; more get 429 TOOMANYREQUESTS (`--max-uploads`).
        public var maxUploads = 256
        /// An upload session untouched this long is dropped with its file (`--upload-timeout`).
        public var uploadTimeout: Duration = .seconds(3600)

        public init(root: String) { self.root = root }
    }

    public let options: Options

    public init(options: Options) { self.options = options }

    /// Parses `--addr`: `host:port`, `:port` (all addresses) or `[v6]:port`.
    public static func parseAddress(_ text: String) throws -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw RegistryServerError("invalid --addr \(text): expected HOST:PORT, like 127.0.0.1:5000")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }

    /// Opens the root (taking its lock), binds and serves until cancelled.
    public func run(onListening: @escaping @Sendable (Int) -> Void) async throws {
        try FileSystem.makeDirectory(options.root, mode: 0o755)
        let lock = try RootLock(root: options.root, purpose: "serving it")
        let storage = try RegistryStorage(root: options.root)
        // No upload can be in flight yet: what a killed server left half-written goes.
        storage.content.removeStaleIngests(keepingPartialsFor: 0)
        let htpasswd = try options.htpasswd.map { try Htpasswd(path: $0) }
        let handler = RegistryHandler(storage: storage, htpasswd: htpasswd, readOnly: options.readOnly, log: try RequestLog(path: options.logPath),
                                      maxUploads: options.maxUploads)
        let prelude = try tlsPrelude()
        let server = TCPHTTPServer(
            host: options.host, port: options.port,
            defaultHeaders: [("Docker-Distribution-API-Version", "registry/2.0")],
            limits: connectionLimits(),
            prelude: prelude,
            handler: { request, body, writer in try await handler.handle(request, body, writer) }
        )
        let uploads = handler.uploads
        let uploadTimeout = options.uploadTimeout
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run(onListening: onListening) }
            group.addTask {
                // Abandoned uploads are dropped once untouched for `uploadTimeout`, looked for
                // four times per period (at most every 5 minutes).
                // A cancelled sleep (the server stopped) ends the loop, not the server with an error.
                let period = min(uploadTimeout / 4, .seconds(300))
                while (try? await Task.sleep(for: period)) != nil {
                    await uploads.expire(olderThan: uploadTimeout.seconds)
                }
            }
            try await group.next()
            group.cancelAll()
        }
        withExtendedLifetime(lock) {}
    }

    /// The connection timeouts and cap, refusing in the distribution spec's error shape.
    func connectionLimits() -> ConnectionLimits {
        var limits = ConnectionLimits(idleTimeout: .init(options.idleTimeout), readTimeout: .init(options.readTimeout),
                                      maxConnections: options.maxConnections)
        limits.writeTimeout = .init(options.readTimeout)
        let refusal = RegistryError(.unavailable, "\(options.maxConnections) connections are open, the most this registry serves at once (--max-connections); retry later")
        limits.refusal = (refusal.status, Array(refusal.body))
        return limits
    }

    /// A TLS handler for each connection when `--tls-cert` and `--tls-key` are given.
    func tlsPrelude() throws -> TCPHTTPServer.Prelude? {
        switch (options.tlsCertificate, options.tlsKey) {
        case (nil, nil):
            return nil
        case (let cert?, let key?):
            let chain: [NIOSSLCertificate]
            let privateKey: NIOSSLPrivateKey
            do {
                chain = try NIOSSLCertificate.fromPEMFile(cert)
                privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
            } catch {
                throw RegistryServerError("cannot load the TLS certificate \(cert) or key \(key): \(error)")
            }
            var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
            configuration.minimumTLSVersion = .tlsv12
            let context = try NIOSSLContext(configuration: configuration)
            return { channel in try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context)) }
        default:
            throw RegistryServerError("--tls-cert and --tls-key must be given together")
        }
    }
}

extension Duration {
    /// The duration in seconds, for `Date` arithmetic.
    var seconds: TimeInterval { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
