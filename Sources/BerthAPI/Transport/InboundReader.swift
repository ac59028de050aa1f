import NIOCore
import NIOHTTP1
import Synchronization

/// The single reading end of one connection, shared in turn by the connection loop (request heads),
/// the handler's `RequestBody` (body parts) and a hijacked stream (raw bytes).
///
/// @unchecked Sendable: the wrapped iterator is not Sendable because it must not be *shared* between
/// tasks. Here it is only touched inside `next()`, and `busy` makes a second concurrent caller fail
/// with `TransportError.concurrentRead` instead of racing. The mutex's acquire/release orders each
/// hand-over between tasks, so the iterator is used by one task at a time, strictly in sequence.
final class InboundReader: @unchecked Sendable {
    private var iterator: NIOAsyncChannelInboundStream<HTTPServerRequestPart>.AsyncIterator
    private let busy = Mutex(false)

    init(_ inbound: NIOAsyncChannelInboundStream<HTTPServerRequestPart>) {
        self.iterator = inbound.makeAsyncIterator()
    }

    /// The next decoded part, or nil once the peer closed (or half-closed) its side.
    func next() async throws -> HTTPServerRequestPart? {
        try busy.withLock { isBusy in
            if isBusy { throw TransportError.concurrentRead }
            isBusy = true
        }
        defer { busy.withLock { $0 = false } }
        return try await iterator.next()
    }
}
