import NIOCore
import NIOHTTP1
import Synchronization

/// Writes the response to one request: a head, then body bytes, then the end.
///
/// Every write is flushed to the socket at once and returns only when the kernel has taken it, so a
/// streamed JSON progress message or a `/wait` head reaches the client immediately, and a slow client
/// slows the handler down rather than filling memory. If the head has no `Content-Length` the body is
/// sent chunked. For `HEAD` requests the head is sent as given and body bytes are discarded.
/// A writer belongs to its handler call: it must not be used after the handler returns, when the
/// connection moves on to the next request.
public final class ResponseWriter: Sendable {
    /// What the connection knows about the request being answered.
    struct Exchange: Sendable {
        var isHead: Bool
        /// HTTP/1.1 clients can read chunked bodies; HTTP/1.0 ones get a body framed by closing.
        var chunkedAllowed: Bool
        /// The request carried `Upgrade` (docker attach / exec start), so a hijack answers 101.
        var upgradeRequested: Bool
        /// The connection will be closed after this response.
        var closesConnection: Bool
        var defaultHeaders: [(String, String)]
    }

    enum Phase: Equatable {
        case idle
        case streaming(chunked: Bool)
        case ended
        case hijacked
    }

    let channel: any Channel
    let exchange: Exchange
    let body: RequestBody
    let reader: InboundReader
    let phase = Mutex(Phase.idle)

    init(channel: any Channel, exchange: Exchange, body: RequestBody, reader: InboundReader) {
        self.channel = channel
        self.exchange = exchange
        self.body = body
        self.reader = reader
    }

    /// Whether the head has been written (or the connection hijacked).
    public var headWritten: Bool { phase.withLock { $0 != .idle } }

    /// Sends the status line and headers, after the server's default headers and `Date`.
    ///
    /// A header given here replaces a default header of the same name. Without `Content-Length`
    /// the body is chunked (HTTP/1.1) or delimited by closing the connection (HTTP/1.0).
    public func writeHead(status: Int, headers: [(String, String)]) async throws {
        let hasLength = headers.contains { $0.0.lowercased() == "content-length" }
        let mayHaveBody = !(100..<200).contains(status) && status != 204 && status != 304
        let chunked = !hasLength && mayHaveBody && !exchange.isHead && exchange.chunkedAllowed
        try phase.withLock { phase in
            guard phase == .idle else { throw TransportError.invalidResponseState("head already written") }
            phase = .streaming(chunked: chunked)
        }
        var fields = headers
        if chunked { fields.append(("Transfer-Encoding", "chunked")) }
        if exchange.closesConnection { fields.append(("Connection", "close")) }
        let head = HTTPResponseHead(
            version: .http1_1,
            status: HTTPResponseStatus(statusCode: status),
            headers: makeHeaders(fields)
        )
        try await channel.writeAndFlush(HTTPServerResponsePart.head(head))
    }

    /// Sends body bytes (one chunk when chunked) and flushes them.
    public func write(_ bytes: ByteBuffer) async throws {
        try phase.withLock { phase in
            guard case .streaming = phase else { throw TransportError.invalidResponseState("write outside a body") }
        }
        guard !exchange.isHead, bytes.readableBytes > 0 else { return }
        try await channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(bytes)))
    }

    /// Sends UTF-8 text as body bytes.
    public func write(_ text: String) async throws {
        try await write(ByteBuffer(string: text))
    }

    /// Ends the body (the zero-length chunk when chunked). Later calls do nothing.
    public func end() async throws {
        let wasStreaming = try phase.withLock { phase -> Bool in
            switch phase {
            case .idle: throw TransportError.invalidResponseState("end before head")
            case .ended, .hijacked: return false
            case .streaming:
                phase = .ended
                return true
            }
        }
        guard wasStreaming else { return }
        try await channel.writeAndFlush(HTTPServerResponsePart.end(nil))
    }

    /// Sends a whole response with a `Content-Length`: head, body, end.
    public func respond(status: Int, headers: [(String, String)] = [], body: ByteBuffer = ByteBuffer()) async throws {
        try await writeHead(status: status, headers: headers + [("Content-Length", String(body.readableBytes))])
        try await write(body)
        try await end()
    }

    /// Default headers, then `Date`, then `fields`; a field replaces a default of the same name.
    func makeHeaders(_ fields: [(String, String)]) -> HTTPHeaders {
        let given = Set(fields.map { $0.0.lowercased() })
        var headers = HTTPHeaders()
        for (name, value) in exchange.defaultHeaders where !given.contains(name.lowercased()) {
            headers.add(name: name, value: value)
        }
        if !given.contains("date") { headers.add(name: "Date", value: HTTPDate.now()) }
        for (name, value) in fields { headers.add(name: name, value: value) }
        return headers
    }
}
