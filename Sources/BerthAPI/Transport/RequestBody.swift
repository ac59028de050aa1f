import NIOCore
import NIOHTTP1
import Synchronization

/// The body of one request, streamed from the socket as the handler asks for it.
///
/// Bytes are read only when `next()` is called, so a handler that writes an upload to disk slowly
/// slows the client down (NIO stops reading the socket) instead of buffering it in memory. Framing
/// (Content-Length or chunked) is already removed. Cancelling a task while it waits in `next()`
/// ends the connection's input (NIO finishes the stream), so the connection closes after the response.
public final class RequestBody: Sendable {
    private enum State { case reading, ended }

    private let reader: InboundReader
    private let state = Mutex(State.reading)

    init(reader: InboundReader) {
        self.reader = reader
    }

    /// The next piece of the body, or nil at its end.
    public func next() async throws -> ByteBuffer? {
        while true {
            if state.withLock({ $0 == .ended }) { return nil }
            switch try await reader.next() {
            case .body(let bytes):
                if bytes.readableBytes > 0 { return bytes }
            case .end:
                state.withLock { $0 = .ended }
                return nil
            case .head:
                throw TransportError.malformedMessage("a request head arrived inside a body")
            case nil:
                state.withLock { $0 = .ended }
                throw TransportError.connectionClosed
            }
        }
    }

    /// Reads the whole body into one buffer, failing if it exceeds `limit` bytes.
    public func collect(upTo limit: Int) async throws -> ByteBuffer {
        var all = ByteBuffer()
        while var piece = try await next() {
            guard all.readableBytes + piece.readableBytes <= limit else {
                throw BodyTooLarge(limit: limit)
            }
            all.writeBuffer(&piece)
        }
        return all
    }

    /// Whether the end of the body has been read.
    var isFinished: Bool { state.withLock { $0 == .ended } }

    /// Reads and discards what the handler left unread, up to `limit` bytes.
    /// - Returns: true if the body ended within the limit, so the connection can serve another request.
    func drain(limit: Int) async -> Bool {
        var discarded = 0
        do {
            while let piece = try await next() {
                discarded += piece.readableBytes
                if discarded > limit { return false }
            }
            return true
        } catch {
            return false
        }
    }
}

/// A request body over what its route accepts: 413, and the connection stays usable.
public struct BodyTooLarge: HTTPErrorConvertible {
    public let limit: Int
    public var httpStatus: Int { 413 }
    public var httpMessage: String { "request body larger than \(limit) bytes" }
}
