import NIOCore
import NIOHTTP1

extension ResponseWriter {
    /// Takes over the connection for a raw bidirectional byte stream (docker attach and exec start).
    ///
    /// The request body is drained first. If the request carried `Upgrade`, the reply is
    /// `101 UPGRADED` with `Connection: Upgrade` and `Upgrade: tcp` (the docker CLI accepts nothing
    /// else); otherwise it is the legacy `200 OK` with no framing. After that, `inbound` yields what
    /// the client sends and ends when the client half-closes (`shutdown(SHUT_WR)`), which does not
    /// close `outbound`. The connection closes when the handler returns.
    ///
    /// Without `Upgrade` (legacy clients, curl) only the output is raw: `inbound` ends at once, since
    /// the HTTP parser cannot hand over bytes it may already have consumed. Every Docker client that
    /// sends stdin also sends `Upgrade: tcp`.
    public func hijack(
        headers: [(String, String)] = [("Content-Type", "application/vnd.docker.raw-stream")]
    ) async throws -> (inbound: HijackedInbound, outbound: RawWriter) {
        try phase.withLock { phase in
            guard phase == .idle else { throw TransportError.invalidResponseState("hijack after the head") }
            phase = .hijacked
        }
        guard await body.drain(limit: 1 << 20) else {
            throw TransportError.malformedMessage("request body of a hijacked request is too large")
        }
        var fields = headers
        let status: HTTPResponseStatus
        if exchange.upgradeRequested {
            status = .custom(code: 101, reasonPhrase: "UPGRADED")
            fields += [("Connection", "Upgrade"), ("Upgrade", "tcp")]
        } else {
            status = .ok
        }
        fields.append((HijackHandler.markerHeader, exchange.upgradeRequested ? "upgrade" : "legacy"))
        let head = HTTPResponseHead(version: .http1_1, status: status, headers: makeHeaders(fields))
        try await channel.writeAndFlush(HTTPServerResponsePart.head(head))
        let inbound = HijackedInbound(reader: exchange.upgradeRequested ? reader : nil)
        return (inbound, RawWriter(channel: channel))
    }

    /// Whether the handler hijacked the connection.
    var isHijacked: Bool { phase.withLock { $0 == .hijacked } }
}
