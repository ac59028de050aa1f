import BerthRuntime
import Foundation
import NIOCore
import NIOPosix

/// Talks to one container's berth-shim over its control socket (protocol in ShimRequest.swift).
public struct ShimClient: Sendable {
    public let socketPath: String

    /// The stream after the shim's reply: bytes from the process (and whatever arrived with the
    /// reply line first), and the writer for its stdin.
    public struct Stream {
        var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
        var leftover: ByteBuffer?
        public let stdin: NIOAsyncChannelOutboundWriter<ByteBuffer>
        let channel: any Channel

        /// The next bytes from the shim; nil when it closed the stream.
        public mutating func next() async throws -> ByteBuffer? {
            if let l = leftover {
                leftover = nil
                return l
            }
            return try await iterator.next()
        }

        /// Half-closes toward the shim: stdin EOF for the process.
        public func closeStdin() async {
            try? await channel.close(mode: .output)
        }

        /// `closeStdin` for another task to call.
        public var stdinCloser: @Sendable () async -> Void {
            let ch = channel
            return { try? await ch.close(mode: .output) }
        }

        /// Closes the whole session from another task (a detach): `next()` then ends.
        public var closer: @Sendable () async -> Void {
            let ch = channel
            return { try? await ch.close() }
        }
    }

    /// Sends `request`, reads the reply, and runs `body` with the open stream; closes after.
    public func withSession<T>(_ request: ShimRequest, _ body: (ShimReply, inout Stream) async throws -> T) async throws -> T {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .connect(unixDomainSocketPath: socketPath) { ch in
                ch.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: ch) }
            }
        var line = try JSONEncoder().encode(request)
        line.append(0x0a)
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(bytes: line))
            var iterator = inbound.makeAsyncIterator()
            var buffer = ByteBuffer()
            while true {
                guard var chunk = try await iterator.next() else {
                    throw EngineError(.internalError, "the container's shim closed its control socket without answering")
                }
                buffer.writeBuffer(&chunk)
                guard let nl = buffer.readableBytesView.firstIndex(of: 0x0a) else { continue }
                let bytes = buffer.readBytes(length: nl - buffer.readerIndex) ?? []
                buffer.moveReaderIndex(forwardBy: 1)
                let reply = try JSONDecoder().decode(ShimReply.self, from: Data(bytes))
                var stream = Stream(iterator: iterator, leftover: buffer.readableBytes > 0 ? buffer : nil, stdin: outbound, channel: channel.channel)
                return try await body(reply, &stream)
            }
        }
    }

    /// A request with only a reply (resize, signal, state).
    @discardableResult
    func call(_ request: ShimRequest) async throws -> ShimReply {
        let reply = try await withSession(request) { reply, _ in reply }
        if !reply.ok { throw EngineError(.internalError, reply.error ?? "the shim refused the request") }
        return reply
    }

    /// Returns when the shim closes an attach with no streams: the container has exited and the
    /// shim recorded it (or the shim itself is gone).
    func waitForExit() async {
        _ = try? await withSession(.attach(stdin: false, stdout: false, stderr: false)) { _, stream in
            while try await stream.next() != nil {}
        }
    }
}
