import Foundation
import NIOCore
import NIOHTTP1

/// Serves the requests of one client connection, one after another (HTTP/1.1 keep-alive).
struct HTTPConnection {
    let channel: NIOAsyncChannel<HTTPServerRequestPart, Never>
    let defaultHeaders: [(String, String)]
    let handler: HTTPHandler

    /// What the handler leaves unread is drained up to this size; a larger remainder closes the connection.
    static let drainLimit = 1 << 20

    func serve() async {
        do {
            try await channel.executeThenClose { inbound in
                let reader = InboundReader(inbound)
                let closed = CloseSignal(channel.channel.closeFuture)
                while let part = try await reader.next() {
                    // Parts of a body the previous exchange abandoned can't occur (it is drained or
                    // the connection closed), so anything but a head is skipped defensively.
                    guard case .head(let head) = part else { continue }
                    guard try await exchange(head, reader: reader, closed: closed) else { return }
                }
            }
        } catch {
            // A broken connection concerns only its client; the server carries on.
        }
    }

    /// Runs the handler for one request and completes its response.
    /// - Returns: whether the connection can carry another request.
    private func exchange(_ head: HTTPRequestHead, reader: InboundReader, closed: CloseSignal) async throws -> Bool {
        let request = HTTPRequest(
            method: head.method.rawValue,
            target: head.uri,
            headers: head.headers.map { (name: $0.name, value: $0.value) }
        )
        // Mirrors llhttp: only `Connection: upgrade` plus an `Upgrade` header makes it stop parsing.
        let upgrade = head.headers.contains(name: "upgrade")
            && head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "upgrade" }
        let http11 = head.version.major > 1 || (head.version.major == 1 && head.version.minor >= 1)
        let exchange = ResponseWriter.Exchange(
            isHead: head.method == .HEAD,
            chunkedAllowed: http11,
            upgradeRequested: upgrade,
            closesConnection: !head.isKeepAlive || upgrade || !http11,
            defaultHeaders: defaultHeaders
        )
        if head.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" }) {
            // curl asks before large uploads and otherwise stalls a second; Go clients never ask.
            try await channel.channel.writeAndFlush(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .continue)))
        }
        let body = RequestBody(reader: reader)
        let writer = ResponseWriter(channel: channel.channel, exchange: exchange, body: body, reader: reader)

        var failure: Error?
        do {
            let handler = self.handler
            try await closed.cancellingOnClose { try await handler(request, body, writer) }
        } catch {
            failure = error
        }

        if writer.isHijacked { return false }
        if let failure {
            guard !writer.headWritten else {
                // Mid-stream: a chunked body can still end cleanly, then the client learns of the
                // failure from the closed connection. A Content-Length body cannot, so just close.
                if writer.phase.withLock({ $0 == .streaming(chunked: true) }) { try? await writer.end() }
                return false
            }
            try await writer.respond(
                status: Self.status(of: failure),
                headers: [("Content-Type", "application/json")],
                body: ByteBuffer(bytes: Self.errorBody(for: failure))
            )
        } else if !writer.headWritten {
            try await writer.respond(status: 200)
        } else {
            try await writer.end()
        }
        if exchange.closesConnection { return false }
        return await body.drain(limit: Self.drainLimit)
    }

    static func status(of error: Error) -> Int {
        (error as? HTTPErrorConvertible)?.httpStatus ?? 500
    }

    /// `{"message":"..."}` followed by a newline, as dockerd writes it.
    static func errorBody(for error: Error) -> Data {
        let message = (error as? HTTPErrorConvertible)?.httpMessage ?? String(describing: error)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let json = (try? encoder.encode(["message": message])) ?? Data(#"{"message":"internal error"}"#.utf8)
        return json + Data("\n".utf8)
    }
}
