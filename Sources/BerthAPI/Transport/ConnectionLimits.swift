import NIOCore
import NIOHTTP1
import Synchronization

/// What a TCP server allows one client and all of them together (`TCPHTTPServer`): a client that
/// opens a connection and sends nothing, or drips a request byte by byte, is cut off; past
/// `maxConnections` a connection gets `refusal` and is closed.
public struct ConnectionLimits: Sendable {
    /// How long a connection may sit without a request: after it opens and after each response,
    /// the next request's head must be complete within this.
    public var idleTimeout: TimeAmount?
    /// While a request body streams in, each period this long must bring at least
    /// `minimumBytesPerReadTimeout` bytes (or the body's end), counted only while the server
    /// waits on the client.
    public var readTimeout: TimeAmount?
    public var minimumBytesPerReadTimeout = 1024
    /// A response the client stops taking (the connection unwritable) this long is abandoned
    /// and the connection closed.
    public var writeTimeout: TimeAmount?
    /// Connections served at once; more are answered with `refusal` and closed.
    public var maxConnections: Int?
    /// The answer to a connection over `maxConnections`: a status and a JSON body.
    public var refusal: (status: Int, body: [UInt8]) = (503, Array(#"{"message":"too many connections"}"#.utf8))

    public init(idleTimeout: TimeAmount? = nil, readTimeout: TimeAmount? = nil, maxConnections: Int? = nil) {
        self.idleTimeout = idleTimeout
        self.readTimeout = readTimeout
        self.maxConnections = maxConnections
    }

    /// Open connections, shared by one server's accepts.
    final class Counter: Sendable {
        let open = Atomic<Int>(0)
    }
}

/// Enforces `ConnectionLimits`' timeouts on one connection. It sits behind the HTTP codec and
/// sees request parts coming in and response parts going out: idle from the connection's start
/// or a response's end until a request head; reading from the head until the request's end;
/// answering until the response's end (no deadline: the handler and a slow download take
/// what they take, but a client that stops reading is cut off after `writeTimeout`).
final class ConnectionDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private enum Phase { case idle, reading, answering }

    private let limits: ConnectionLimits
    private var phase = Phase.idle
    private var timer: Scheduled<Void>?
    /// Armed while the connection is unwritable.
    private var stallTimer: Scheduled<Void>?
    private var bytesThisPeriod = 0
    /// The server asked for more and the client has not answered yet.
    private var waitingOnClient = false

    init(limits: ConnectionLimits) {
        self.limits = limits
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { armIdle(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        armIdle(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        stallTimer?.cancel()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        stallTimer?.cancel()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            stallTimer?.cancel()
            stallTimer = nil
        } else if stallTimer == nil, let timeout = limits.writeTimeout {
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            stallTimer = context.eventLoop.scheduleTask(in: timeout) {
                let (handler, context) = bound.value
                handler.stallTimer = nil
                if !context.channel.isWritable { context.close(promise: nil) }
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        waitingOnClient = false
        switch unwrapInboundIn(data) {
        case .head:
            phase = .reading
            bytesThisPeriod = 0
            armRead(context)
        case .body(let bytes):
            bytesThisPeriod += bytes.readableBytes
        case .end:
            phase = .answering
            timer?.cancel()
        }
        context.fireChannelRead(data)
    }

    func read(context: ChannelHandlerContext) {
        waitingOnClient = true
        context.read()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), phase == .answering {
            phase = .idle
            armIdle(context)
        }
        context.write(data, promise: promise)
    }

    private func armIdle(_ context: ChannelHandlerContext) {
        timer?.cancel()
        guard let timeout = limits.idleTimeout else { return }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: timeout) {
            let (handler, context) = bound.value
            if handler.phase == .idle { context.close(promise: nil) }
        }
    }

    private func armRead(_ context: ChannelHandlerContext) {
        timer?.cancel()
        guard let timeout = limits.readTimeout else { return }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: timeout) {
            let (handler, context) = bound.value
            guard handler.phase == .reading else { return }
            if handler.waitingOnClient && handler.bytesThisPeriod < handler.limits.minimumBytesPerReadTimeout {
                context.close(promise: nil)
            } else {
                handler.bytesThisPeriod = 0
                handler.armRead(context)
            }
        }
    }
}

/// Answers a connection over `ConnectionLimits.maxConnections`: the first request head gets
/// the refusal, then the connection closes (also if no head comes within 5 s, or the idle timeout
/// when shorter: a flood of refused connections holds no descriptors for long).
final class ConnectionRefusalHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let refusal: (status: Int, body: [UInt8])
    private let timeout: TimeAmount
    private var answered = false

    init(limits: ConnectionLimits) {
        refusal = limits.refusal
        timeout = min(limits.idleTimeout ?? .seconds(5), .seconds(5))
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: timeout) { loopBound.value.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let request) = unwrapInboundIn(data), !answered else { return }
        answered = true
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: "\(refusal.body.count)")
        headers.add(name: "Connection", value: "close")
        headers.add(name: "Retry-After", value: "1")
        let head = HTTPResponseHead(version: request.version, status: .init(statusCode: refusal.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: refusal.body)))), promise: nil)
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in loopBound.value.close(promise: nil) }
    }
}
