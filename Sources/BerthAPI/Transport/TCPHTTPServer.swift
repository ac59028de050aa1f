import NIOCore
import NIOPosix

/// An HTTP/1.1 server on a TCP address, with the same connection handling as `HTTPServer`
/// (streamed request bodies, `ResponseWriter`), for servers other than the Engine API: berth's registry.
public struct TCPHTTPServer: Sendable {
    /// Adds handlers in front of the HTTP codec of each accepted connection (TLS).
    public typealias Prelude = @Sendable (any Channel) throws -> Void

    /// The address to bind, e.g. `127.0.0.1`.
    public let host: String
    /// The port to bind; 0 picks a free one (see `onListening`).
    public let port: Int
    /// Headers added to every response.
    public let defaultHeaders: [(String, String)]
    /// Timeouts and the connection cap.
    public let limits: ConnectionLimits
    let prelude: Prelude?
    let handler: HTTPHandler

    /// Configures a server; nothing is bound until `run(onListening:)`.
    public init(host: String, port: Int, defaultHeaders: [(String, String)] = [], limits: ConnectionLimits = ConnectionLimits(),
                prelude: Prelude? = nil, handler: @escaping HTTPHandler) {
        self.host = host
        self.port = port
        self.defaultHeaders = defaultHeaders
        self.limits = limits
        self.prelude = prelude
        self.handler = handler
    }

    /// Binds and serves until cancelled, calling `onListening` with the bound port once connections are accepted.
    public func run(onListening: @Sendable (Int) -> Void) async throws {
        let prelude = self.prelude
        let limits = self.limits
        let connections = ConnectionLimits.Counter()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try prelude?(channel)
                    let open = connections.open.wrappingAdd(1, ordering: .relaxed).newValue
                    channel.closeFuture.whenComplete { _ in connections.open.wrappingSubtract(1, ordering: .relaxed) }
                    if let max = limits.maxConnections, open > max {
                        return try HTTPServer.configurePipeline(channel, last: ConnectionRefusalHandler(limits: limits))
                    }
                    return try HTTPServer.configurePipeline(channel, last: ConnectionDeadlineHandler(limits: limits))
                }
            }
        onListening(server.channel.localAddress?.port ?? port)
        try await HTTPServer.serve(server, defaultHeaders: defaultHeaders, handler: handler)
    }
}
