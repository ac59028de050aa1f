import Glibc
import NIOCore
import NIOHTTP1
import NIOPosix

/// Handles one request: read `RequestBody`, answer through `ResponseWriter`.
///
/// Throwing before the head is written produces an error response (see `HTTPErrorConvertible`);
/// throwing after it closes the connection once the body is ended. The task is cancelled if the
/// client disconnects.
public typealias HTTPHandler = @Sendable (HTTPRequest, RequestBody, ResponseWriter) async throws -> Void

/// An HTTP/1.1 server on a unix socket: the daemon side of the Docker Engine API transport.
///
/// Connections are served concurrently (the docker CLI holds three at once during `run`), requests on
/// one connection in sequence. Hijacking for attach/exec goes through `ResponseWriter.hijack`.
public struct HTTPServer: Sendable {
    /// The unix socket path the server listens on.
    public let socketPath: String
    /// The permission bits given to the socket file after binding.
    public let socketMode: mode_t
    /// Headers added to every response (Api-Version, Ostype, Server, Docker-Experimental...).
    public let defaultHeaders: [(String, String)]
    let handler: HTTPHandler

    /// Configures a server; nothing is bound until `run()`.
    public init(
        socketPath: String,
        socketMode: mode_t = 0o660,
        defaultHeaders: [(String, String)],
        handler: @escaping HTTPHandler
    ) {
        self.socketPath = socketPath
        self.socketMode = socketMode
        self.defaultHeaders = defaultHeaders
        self.handler = handler
    }

    /// Binds the socket (replacing a stale socket file), sets its mode and serves until cancelled.
    public func run() async throws {
        try await run(onListening: {})
    }

    /// Like `run()`, calling `onListening` once the socket accepts connections and has its mode.
    public func run(onListening: @Sendable () -> Void) async throws {
        try SocketFile.prepare(socketPath)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .bind(unixDomainSocketPath: socketPath, cleanupExistingSocketFile: true) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try Self.configurePipeline(channel)
                }
            }
        defer { SocketFile.remove(socketPath) }
        guard chmod(socketPath, socketMode) == 0 else {
            let code = errno
            try? await server.channel.close()
            throw TransportError.systemCall("chmod \(socketPath)", errno: code)
        }
        onListening()
        try await Self.serve(server, defaultHeaders: defaultHeaders, handler: handler)
    }

    /// Serves each accepted connection in a task of its own until cancelled (how the owner stops
    /// a server: a normal return). Shared with `TCPHTTPServer`.
    static func serve(_ server: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, Never>, Never>,
                      defaultHeaders: [(String, String)], handler: @escaping HTTPHandler) async throws {
        do {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await connection in connections {
                        group.addTask {
                            await HTTPConnection(channel: connection, defaultHeaders: defaultHeaders, handler: handler).serve()
                        }
                    }
                }
            }
        } catch is CancellationError {
        }
    }

    /// Encoder, decoder and hijack switch, named so a hijack can remove the codec; `last` (the
    /// TCP server's limits) goes behind them.
    static func configurePipeline(_ channel: any Channel, last: (any ChannelHandler)? = nil) throws -> NIOAsyncChannel<HTTPServerRequestPart, Never> {
        var encoderConfiguration = HTTPResponseEncoder.Configuration()
        // ResponseWriter frames bodies itself, which is how HEAD responses keep their head as given.
        encoderConfiguration.automaticallySetFramingHeaders = false
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(HTTPResponseEncoder(configuration: encoderConfiguration), name: HijackHandler.encoderName)
        try pipeline.addHandler(
            ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes)),
            name: HijackHandler.decoderName
        )
        try pipeline.addHandler(HijackHandler())
        if let last { try pipeline.addHandler(last) }
        return try NIOAsyncChannel(
            wrappingChannelSynchronously: channel,
            configuration: .init(backPressureStrategy: .init(lowWatermark: 2, highWatermark: 8))
        )
    }
}
