import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// An HTTP server on 127.0.0.1 whose answers a test scripts: each request goes to `respond`,
/// and every request is recorded.
final class FakeRegistry: Sendable {
    struct Request: Sendable {
        let method: String
        let uri: String
        let headers: [String: String]
        let body: Data
        var path: String { String(uri.split(separator: "?", maxSplits: 1)[0]) }
    }

    struct Response: Sendable {
        var status: Int
        var headers: [(String, String)] = []
        var body = Data()
        /// Send the head and this many body bytes, then close the connection (a reset).
        var cutAfter: Int?
        /// Send nothing (nil: not even the head) or the head and this many body bytes, then
        /// keep the connection open and silent: a stalled registry.
        var stallAfter: Int??
        init(_ status: Int, _ headers: [(String, String)] = [], body: Data = Data(), cutAfter: Int? = nil, stallAfter: Int?? = .none) {
            self.status = status
            self.headers = headers
            self.body = body
            self.cutAfter = cutAfter
            self.stallAfter = stallAfter
        }
    }

    typealias Handler = @Sendable (Request) -> Response

    let channel: any Channel
    let log = NIOLockedValueBox<[Request]>([])
    var port: Int { channel.localAddress?.port ?? 0 }
    var host: String { "127.0.0.1:\(port)" }

    init(_ respond: @escaping Handler) async throws {
        let log = self.log
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { ch in
                ch.pipeline.configureHTTPServerPipeline().flatMap {
                    ch.pipeline.addHandler(Handler_(respond: respond, log: log))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    var requests: [Request] { log.withLockedValue { $0 } }

    func stop() async { try? await channel.close() }

    final class Handler_: ChannelInboundHandler, @unchecked Sendable {
        // NIO calls a handler on its channel's event loop only.
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let respond: FakeRegistry.Handler
        let log: NIOLockedValueBox<[Request]>
        var head: HTTPRequestHead?
        var body = Data()

        init(respond: @escaping FakeRegistry.Handler, log: NIOLockedValueBox<[Request]>) {
            self.respond = respond
            self.log = log
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let h):
                head = h
                body = Data()
            case .body(var b):
                if let bytes = b.readBytes(length: b.readableBytes) { body.append(contentsOf: bytes) }
            case .end:
                guard let h = head else { return }
                var headers: [String: String] = [:]
                for (k, v) in h.headers { headers[k.lowercased()] = v }
                let req = Request(method: h.method.rawValue, uri: h.uri, headers: headers, body: body)
                log.withLockedValue { $0.append(req) }
                let r = respond(req)
                if case .some(.none) = r.stallAfter { return }
                var fields = HTTPHeaders(r.headers)
                if !fields.contains(name: "Content-Length") { fields.add(name: "Content-Length", value: String(r.body.count)) }
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: r.status), headers: fields))), promise: nil)
                if case .some(.some(let n)) = r.stallAfter {
                    context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: r.body.prefix(n))))), promise: nil)
                    return
                }
                if let cut = r.cutAfter {
                    // Part of the body, then the connection drops: what a reset looks like.
                    context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: r.body.prefix(cut)))))).whenComplete { _ in
                        context.close(promise: nil)
                    }
                    return
                }
                if h.method != .HEAD {
                    context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: r.body)))), promise: nil)
                }
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
