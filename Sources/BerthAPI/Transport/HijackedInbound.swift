import NIOCore
import NIOHTTP1

/// The client-to-daemon half of a hijacked connection: raw bytes (stdin) as they arrive.
///
/// It ends when the client half-closes or closes the connection. Reading pauses the socket when the
/// consumer falls behind, like `RequestBody`. It is empty for a legacy (non-upgrade) hijack.
public struct HijackedInbound: AsyncSequence, Sendable {
    /// Raw bytes, with no framing.
    public typealias Element = ByteBuffer

    let reader: InboundReader?

    /// Iterates the raw bytes.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let reader: InboundReader?

        /// The next bytes from the client, or nil once it has stopped sending.
        public mutating func next() async throws -> ByteBuffer? {
            guard let reader else { return nil }
            while let part = try await reader.next() {
                if case .body(let bytes) = part, bytes.readableBytes > 0 { return bytes }
            }
            return nil
        }
    }

    /// Starts iterating; only one iterator may read at a time.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(reader: reader)
    }
}
