import NIOCore
import NIOHTTP1

/// Sits between the HTTP codec and the async channel and, on a hijack, turns the connection into a
/// raw byte pipe without the async side noticing a change of types.
///
/// Until a hijack it passes everything through. When it sees an outbound response head carrying
/// `markerHeader` (added by `ResponseWriter.hijack`), it strips the marker, lets the encoder write
/// that head and removes the encoder; outbound `.body` parts are then unwrapped to raw bytes. For an
/// upgrade (`Connection: Upgrade` + `Upgrade`), llhttp has already stopped parsing after the request,
/// so the decoder is removed too: its buffered leftovers (stdin sent right after the request) and all
/// later raw reads are wrapped as `HTTPServerRequestPart.body`. Doing the switch here, on the event
/// loop in the order writes arrive, means no byte is ever seen by the wrong codec.
final class HijackHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// Internal header that marks the head of a hijacking response; never sent on the wire.
    /// Its value is `upgrade` (both directions go raw) or `legacy` (only the output goes raw).
    static let markerHeader = "X-Berth-Hijack"
    static let encoderName = "berth-http-encoder"
    static let decoderName = "berth-http-decoder"

    private var rawOutbound = false
    private var rawInbound = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard rawInbound else {
            context.fireChannelRead(data)
            return
        }
        context.fireChannelRead(wrapInboundOut(.body(unwrapInboundIn(data))))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let part = unwrapOutboundIn(data)
        if rawOutbound {
            switch part {
            case .body(let bytes):
                context.write(NIOAny(bytes), promise: promise)
            case .end:
                promise?.succeed(())
            case .head:
                promise?.fail(TransportError.invalidResponseState("response head on a hijacked connection"))
            }
            return
        }
        guard case .head(var head) = part, let mode = head.headers.first(name: Self.markerHeader) else {
            context.write(data, promise: promise)
            return
        }
        head.headers.remove(name: Self.markerHeader)
        // The client may half-close as soon as it sees this head (docker does, when stdin is not
        // attached); that must end stdin, not the connection.
        _ = context.channel.setOption(ChannelOptions.allowRemoteHalfClosure, value: true)
        context.write(wrapOutboundOut(.head(head)), promise: promise)
        let pipeline = context.pipeline.syncOperations
        rawOutbound = true
        pipeline.removeHandler(name: Self.encoderName, promise: nil)
        if mode == "upgrade" {
            rawInbound = true
            // The decoder forwards its leftovers as a read with no read-complete after it, and the
            // async channel only delivers reads on read-complete; without this, stdin sent along
            // with the request would wait for the next socket read.
            let removed = context.eventLoop.makePromise(of: Void.self)
            pipeline.removeHandler(name: Self.decoderName, promise: removed)
            removed.futureResult.assumeIsolated().whenSuccess { context.fireChannelReadComplete() }
        }
    }
}
