import Foundation
import NIOCore
import Testing

@testable import BerthAPI

@Suite("Hijacked connections (attach, exec start)", .serialized, .timeLimit(.minutes(1)))
struct HijackTests {
    /// Upper-cases stdin back as output; after stdin ends, says "bye" and closes, like an exec.
    static let shout: HTTPHandler = { request, body, writer in
        let options = try await body.collect(upTo: 1 << 16)
        let (inbound, outbound) = try await writer.hijack()
        try await outbound.write(ByteBuffer(string: "options=\(String(buffer: options))\n"))
        for try await bytes in inbound {
            try await outbound.write(ByteBuffer(string: String(buffer: bytes).uppercased()))
        }
        try await outbound.write(ByteBuffer(string: "bye"))
    }

    static let upgrade = [("Connection", "Upgrade"), ("Upgrade", "tcp"), ("Content-Type", "application/json")]

    @Test func upgradeAnswers101AndHalfCloseEndsOnlyStdin() async throws {
        try await withServer(handler: Self.shout) { path in
            try await offPool {
                let client = try UnixHTTPClient(socketPath: path)
                let response = try client.send(
                    method: "POST", path: "/v1.41/exec/abc/start", headers: Self.upgrade,
                    body: .data(Data(#"{"Detach":false,"Tty":false}"#.utf8))
                )
                #expect(response.status == 101)
                #expect(response.reason == "UPGRADED")
                #expect(response.header("Upgrade") == "tcp")
                #expect(response.header("Connection") == "Upgrade")
                #expect(response.header("Content-Type") == "application/vnd.docker.raw-stream")
                #expect(response.header("X-Berth-Hijack") == nil)
                let stream = try response.hijack()
                #expect(try readUntil(stream, "\n") == "options={\"Detach\":false,\"Tty\":false}\n")
                try stream.write(Data("hello".utf8))
                #expect(try readUntil(stream, "HELLO") == "HELLO")
                try stream.closeWrite()  // the docker CLI does this when stdin is not attached
                var rest = Data()
                while let more = try stream.read() { rest.append(more) }
                #expect(rest.text == "bye")
            }
        }
    }

    @Test func stdinSentWithTheRequestIsNotLost() async throws {
        try await withServer(handler: Self.shout) { path in
            try await offPool {
                let socket = try UnixSocket.connect(path: path)
                try socket.write(
                    "POST /containers/web/attach?stdin=1&stream=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                        + "Upgrade: tcp\r\nContent-Length: 0\r\n\r\nearly"
                )
                var received = ""
                while !received.hasSuffix("EARLY") {
                    guard let piece = try socket.read(upTo: 4096) else { break }
                    received += piece.text
                }
                #expect(received.hasPrefix("HTTP/1.1 101 UPGRADED\r\n"))
                #expect(received.hasSuffix("\r\n\r\noptions=\nEARLY"))
            }
        }
    }

    @Test func upgradeRequestAnsweredWithoutHijackGetsAnOrdinaryResponse() async throws {
        let handler: HTTPHandler = { request, _, writer in
            guard request.path == "/after" else { throw StatusError(httpStatus: 404, httpMessage: "No such exec instance: abc") }
            try await writer.respond(status: 200, body: ByteBuffer(string: "fine"))
        }
        try await withServer(handler: handler) { path in
            let opened = try await offPool {
                let client = try UnixHTTPClient(socketPath: path)
                let response = try client.send(method: "POST", path: "/exec/abc/start", headers: Self.upgrade)
                #expect(response.status == 404)
                #expect(response.header("Connection") == "close")
                #expect(try response.readAll().text == "{\"message\":\"No such exec instance: abc\"}\n")
                #expect(try client.send(method: "GET", path: "/after").readAll().text == "fine")
                return client.connectionsOpened.withLock { $0 }
            }
            #expect(opened == 2, "the parser stopped at the upgrade, so that connection must not be reused")
        }
    }

    @Test func withoutUpgradeTheLegacyHijackAnswers200AndRawOutput() async throws {
        try await withServer(handler: Self.shout) { path in
            let result = try await curl(path, "-i", "-X", "POST", "http://localhost/containers/web/attach")
            #expect(result.text.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(!result.text.lowercased().contains("transfer-encoding"))
            #expect(result.text.hasSuffix("\r\n\r\noptions=\nbye"))
        }
    }
}

/// Reads from a hijacked stream until `marker` has arrived.
func readUntil(_ stream: HijackedConnection, _ marker: String) throws -> String {
    var text = ""
    while !text.contains(marker) {
        guard let piece = try stream.read() else { break }
        text += piece.text
    }
    return text
}
