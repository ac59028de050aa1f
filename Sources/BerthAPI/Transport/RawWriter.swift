import NIOCore
import NIOHTTP1

/// The daemon-to-client half of a hijacked connection.
public struct RawWriter: Sendable {
    let channel: any Channel

    /// Sends raw bytes and flushes them.
    public func write(_ bytes: ByteBuffer) async throws {
        guard bytes.readableBytes > 0 else { return }
        try await channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(bytes)))
    }

    /// Half-closes the connection (`shutdown(SHUT_WR)`): the client reads EOF, the inbound stays open.
    public func closeWrite() async throws {
        try await channel.close(mode: .output)
    }
}
