import Foundation
import NIOCore
import Testing

@testable import BerthAPI

@Suite("HTTP transport over a unix socket", .serialized, .timeLimit(.minutes(1)))
struct TransportTests {
    /// Echoes method, path, API version and `q` so tests can see what the server decoded.
    static let echo: HTTPHandler = { request, _, writer in
        let text = "\(request.method) \(request.path) \(request.apiVersion ?? "-") \(request.queryValue("q") ?? "-")"
        if request.path == "/stream" {
            try await writer.writeHead(status: 200, headers: [("Content-Type", "application/json")])
            try await writer.write("{\"status\":\"one\"}\r\n")
            try await writer.write("{\"status\":\"two\"}\r\n")
            try await writer.end()
        } else {
            try await writer.respond(status: 200, headers: [("Content-Type", "text/plain")], body: ByteBuffer(string: text))
        }
    }

    // MARK: keep-alive and concurrency

    @Test func keepAliveServesSeveralRequestsOnOneConnection() async throws {
        try await withServer(handler: Self.echo) { path in
            let opened = try await offPool {
                let client = try UnixHTTPClient(socketPath: path)
                #expect(try client.send(method: "GET", path: "/a").readAll().text == "GET /a - -")
                let stream = try client.send(method: "GET", path: "/stream")
                #expect(stream.header("transfer-encoding") == "chunked")
                #expect(try stream.readLine()?.text == #"{"status":"one"}"#)
                #expect(try stream.readLine()?.text == #"{"status":"two"}"#)
                #expect(try stream.readLine() == nil)
                #expect(try client.send(method: "POST", path: "/c", body: .data(Data("x".utf8))).readAll().text == "POST /c - -")
                return client.connectionsOpened.withLock { $0 }
            }
            #expect(opened == 1)

            let result = try await curl(path, "-v", "http://localhost/a", "http://localhost/b", "http://localhost/c")
            #expect(result.text == "GET /a - -GET /b - -GET /c - -")
            #expect(result.stderr.contains("Re-using existing connection"))
        }
    }

    @Test func busyConnectionsDoNotBlockOtherConnections() async throws {
        let gate = Gate()
        let handler: HTTPHandler = { request, body, writer in
            guard request.path == "/wait" else { return try await Self.echo(request, body, writer) }
            try await writer.writeHead(status: 200, headers: [("Content-Type", "application/json")])
            await gate.wait()
            try await writer.write("{\"StatusCode\":0}\n")
        }
        try await withServer(handler: handler) { path in
            let opened = try await offPool {
                let client = try UnixHTTPClient(socketPath: path)
                let firstWait = try client.send(method: "POST", path: "/wait")
                let secondWait = try client.send(method: "POST", path: "/wait")
                #expect(try client.send(method: "GET", path: "/_ping").readAll().text == "GET /_ping - -")
                gate.open()
                #expect(try firstWait.readAll().text == "{\"StatusCode\":0}\n")
                #expect(try secondWait.readAll().text == "{\"StatusCode\":0}\n")
                return client.connectionsOpened.withLock { $0 }
            }
            #expect(opened == 3)
        }
    }

    // MARK: request bodies

    @Test func chunkedUploadOf20MBIsStreamedToTheHandler() async throws {
        let source = "/tmp/berth-upload-\(UUID().uuidString)"
        var generator = SystemRandomNumberGenerator()
        let size = 20 * 1024 * 1024
        var bytes = [UInt8](repeating: 0, count: size)
        for index in stride(from: 0, to: size, by: 8) {
            withUnsafeBytes(of: generator.next() as UInt64) { word in
                for offset in 0..<8 { bytes[index + offset] = word[offset] }
            }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: source))
        defer { try? FileManager.default.removeItem(atPath: source) }
        let expectedSum = try await sha256(ofFile: source)

        let received = Shared<[String: Int]>([:])
        let handler: HTTPHandler = { request, body, writer in
            let target = "/tmp/berth-received-\(UUID().uuidString)"
            #expect(FileManager.default.createFile(atPath: target, contents: nil))
            let file = try FileHandle(forWritingTo: URL(fileURLWithPath: target))
            var count = 0
            var pieces = 0
            while let piece = try await body.next() {
                count += piece.readableBytes
                pieces += 1
                try file.write(contentsOf: Data(piece.readableBytesView))
            }
            try file.close()
            received.update { $0 = ["bytes": count, "pieces": pieces] }
            try await writer.respond(status: 200, body: ByteBuffer(string: target))
        }
        try await withServer(handler: handler) { path in
            let upload: @Sendable () throws -> String = {
                let client = try UnixHTTPClient(socketPath: path)
                let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: source))
                let response = try client.send(method: "PUT", path: "/upload", body: .stream(handle))
                #expect(response.status == 200)
                return try response.readAll().text
            }
            for uploaded in [try await offPool(upload),
                             try await curl(path, "-T", source, "-H", "Transfer-Encoding: chunked", "http://localhost/upload").text]
            {
                defer { try? FileManager.default.removeItem(atPath: uploaded) }
                #expect(received.get()["bytes"] == size)
                #expect((received.get()["pieces"] ?? 0) > 1, "the body must arrive in pieces, not buffered whole")
                #expect(try await sha256(ofFile: uploaded) == expectedSum)
            }
        }
    }

    @Test func unreadBodyIsDrainedBeforeTheNextRequest() async throws {
        try await withServer(handler: Self.echo) { path in
            let opened = try await offPool {
                let client = try UnixHTTPClient(socketPath: path)
                let big = Data(repeating: 0x61, count: 300_000)
                #expect(try client.send(method: "POST", path: "/ignored", body: .data(big)).readAll().text == "POST /ignored - -")
                #expect(try client.send(method: "GET", path: "/next").readAll().text == "GET /next - -")
                return client.connectionsOpened.withLock { $0 }
            }
            #expect(opened == 1)
        }
    }

    @Test func earlyRejectionOfALargeUploadReachesTheClient() async throws {
        let handler: HTTPHandler = { request, body, writer in
            guard request.path == "/build" else { return try await Self.echo(request, body, writer) }
            throw StatusError(httpStatus: 400, httpMessage: "bad tar")
        }
        try await withServer(handler: handler) { path in
            try await offPool {
                let client = try UnixHTTPClient(socketPath: path)
                let response = try client.send(method: "POST", path: "/build", body: .data(Data(count: 16 << 20)))
                #expect(response.status == 400)
                #expect(try response.readAll().text == "{\"message\":\"bad tar\"}\n")
                #expect(try client.send(method: "GET", path: "/next").readAll().text == "GET /next - -")
            }
        }
    }

    // MARK: streamed responses

    @Test func streamedChunkReachesTheClientBeforeTheHandlerFinishes() async throws {
        let gate = Gate()
        let handler: HTTPHandler = { _, _, writer in
            try await writer.writeHead(status: 200, headers: [("Content-Type", "application/json")])
            try await writer.write("{\"status\":\"Pulling\"}\r\n")
            await gate.wait()
            try await writer.write("{\"status\":\"Done\"}\r\n")
            try await writer.end()
        }
        try await withServer(handler: handler) { path in
            try await offPool {
                let client = try UnixHTTPClient(socketPath: path)
                let response = try client.send(method: "POST", path: "/images/create")
                #expect(try response.readLine()?.text == #"{"status":"Pulling"}"#)
                gate.open()  // only now may the handler finish
                #expect(try response.readLine()?.text == #"{"status":"Done"}"#)
                #expect(try response.readLine() == nil)
            }
        }
    }

    // MARK: errors

    @Test(arguments: [
        (StatusError(httpStatus: 404, httpMessage: "No such container: web") as any Error, 404, "No such container: web"),
        (StatusError(httpStatus: 409, httpMessage: "name \"/web\" is in use") as any Error, 409, "name \"/web\" is in use"),
        (PlainError() as any Error, 500, "disk on fire"),
    ])
    func handlerErrorBecomesJSONMessageWithItsStatus(error: any Error, status: Int, message: String) async throws {
        let thrown = ErrorBox(error)
        try await withServer(handler: { _, _, _ in throw thrown.error }) { path in
            let (response, body) = try await offPool { () -> (ResponseSnapshot, Data) in
                let client = try UnixHTTPClient(socketPath: path)
                let response = try client.send(method: "GET", path: "/v1.41/containers/web/json")
                return (ResponseSnapshot(response), try response.readAll())
            }
            #expect(response.status == status)
            #expect(response.header("Content-Type") == "application/json")
            #expect(response.header("Api-Version") == "1.41")
            #expect(response.header("Ostype") == "linux")
            #expect(response.header("Date")?.hasSuffix(" GMT") == true)
            let decoded = try JSONDecoder().decode([String: String].self, from: body)
            #expect(decoded == ["message": message])
            #expect(body.last == UInt8(ascii: "\n"))
        }
    }

    @Test func failureAfterTheHeadEndsTheBodyAndClosesTheConnection() async throws {
        let handler: HTTPHandler = { request, body, writer in
            guard request.path == "/build" else { return try await Self.echo(request, body, writer) }
            try await writer.writeHead(status: 200, headers: [])
            try await writer.write("{\"stream\":\"Step 1/2\"}\n")
            throw PlainError()
        }
        try await withServer(handler: handler) { path in
            let opened = try await offPool {
                let client = try UnixHTTPClient(socketPath: path)
                #expect(try client.send(method: "POST", path: "/build").readAll().text == "{\"stream\":\"Step 1/2\"}\n")
                #expect(try client.send(method: "GET", path: "/after").readAll().text == "GET /after - -")
                return client.connectionsOpened.withLock { $0 }
            }
            #expect(opened == 2)
        }
    }

    @Test func clientDisconnectCancelsTheHandler() async throws {
        let (outcomes, outcome) = AsyncStream<String>.makeStream()
        let handler: HTTPHandler = { _, _, writer in
            try await writer.writeHead(status: 200, headers: [])
            do {
                try await Task.sleep(for: .seconds(30))
                outcome.yield("finished")
            } catch is CancellationError {
                outcome.yield("cancelled")
            }
        }
        try await withServer(handler: handler) { path in
            try await offPool {
                let client = try UnixHTTPClient(socketPath: path)
                let response = try client.send(method: "POST", path: "/containers/web/wait")
                #expect(response.status == 200)
                response.close()
            }
            var iterator = outcomes.makeAsyncIterator()
            #expect(await iterator.next() == "cancelled")
        }
    }

    // MARK: request decoding

    @Test(arguments: [
        ("/v1.41/_ping", "/_ping", "1.41"),
        ("/v1.50/containers/json", "/containers/json", "1.50"),
        ("/v1.41", "/", "1.41"),
        ("/_ping", "/_ping", nil),
        ("/version", "/version", nil),
        ("/volumes/v1.41", "/volumes/v1.41", nil),
        ("/vx/_ping", "/vx/_ping", nil),
        ("/images/localhost%3A5000%2Fapp/json", "/images/localhost:5000/app/json", nil),
    ] as [(String, String, String?)])
    func versionPrefixIsStrippedFromThePath(target: String, path: String, version: String?) {
        let request = HTTPRequest(method: "GET", target: target)
        #expect(request.path == path)
        #expect(request.apiVersion == version)
    }

    @Test func versionPrefixIsStrippedOnTheWire() async throws {
        try await withServer(handler: Self.echo) { path in
            let versioned = try await curl(path, "http://localhost/v1.41/_ping")
            let unversioned = try await curl(path, "http://localhost/_ping")
            #expect(versioned.text == "GET /_ping 1.41 -")
            #expect(unversioned.text == "GET /_ping - -")
        }
    }

    @Test func queryValuesSurviveTheRoundTrip() async throws {
        let filters = #"{"label":{"com.example=1":true},"name":["a b","c+d&e"]}"#
        let seen = Shared<[String: [String]]>([:])
        let handler: HTTPHandler = { request, _, writer in
            seen.update { $0 = request.query }
            try await writer.respond(status: 204)
        }
        try await withServer(handler: handler) { path in
            try await offPool {
                let client = try UnixHTTPClient(socketPath: path)
                let query = [("filters", filters), ("all", "1"), ("name", "ünïcode/é")]
                _ = try client.send(method: "GET", path: "/v1.41/containers/json", query: query).readAll()
            }
            #expect(seen.get() == ["filters": [filters], "all": ["1"], "name": ["ünïcode/é"]])
        }
        let request = HTTPRequest(method: "DELETE", target: "/containers/x?v=False&force=a+b&force=2&flag")
        #expect(request.query == ["v": ["False"], "force": ["a b", "2"], "flag": [""]])
        #expect(request.queryValue("force") == "a b")
    }

    @Test(arguments: [
        ("1", true), ("0", false), ("True", true), ("False", false), ("true", true), ("FALSE", false),
        ("", false), ("no", false), ("No", false), ("none", false), ("NONE", false), ("yes", true), ("2", true),
        ("off", true),
    ])
    func queryBoolFollowsDockerdRule(value: String, expected: Bool) {
        let request = HTTPRequest(method: "GET", target: "/containers/json?all=\(PercentEncoding.encode(value))")
        #expect(request.queryBool("all") == expected)
    }

    @Test func absentQueryBoolIsFalse() {
        #expect(HTTPRequest(method: "GET", target: "/containers/json").queryBool("all") == false)
    }

    @Test func headerLookupIgnoresCase() {
        let request = HTTPRequest(method: "GET", target: "/", headers: [(name: "X-Registry-Auth", value: "e30=")])
        #expect(request.header("x-registry-auth") == "e30=")
        #expect(request.header("Content-Type") == nil)
    }

    // MARK: HEAD

    @Test func headResponsesCarryNoBody() async throws {
        let handler: HTTPHandler = { request, body, writer in
            if request.path == "/_ping" {
                try await writer.respond(status: 200, headers: [("Content-Type", "text/plain; charset=utf-8")], body: ByteBuffer(string: "OK"))
            } else {
                try await writer.writeHead(status: 200, headers: [])
                try await writer.write("streamed")
                try await writer.end()
            }
        }
        try await withServer(handler: handler) { path in
            let opened = try await offPool {
                let client = try UnixHTTPClient(socketPath: path)
                let head = try client.send(method: "HEAD", path: "/_ping")
                #expect(head.status == 200)
                #expect(head.header("Content-Length") == "2")
                #expect(head.header("Api-Version") == "1.41")
                #expect(try head.readAll().isEmpty)
                #expect(try client.send(method: "HEAD", path: "/stream").readAll().isEmpty)
                #expect(try client.send(method: "GET", path: "/_ping").readAll().text == "OK")
                #expect(try client.send(method: "GET", path: "/stream").readAll().text == "streamed")
                return client.connectionsOpened.withLock { $0 }
            }
            #expect(opened == 1, "a HEAD response must leave no stray bytes on the connection")
            let curlHead = try await curl(path, "-I", "http://localhost/_ping")
            #expect(curlHead.status == 0)
            #expect(curlHead.text.contains("Content-Length: 2"))
            #expect(!curlHead.text.hasSuffix("OK"))
        }
    }

    // MARK: the socket file

    @Test(arguments: [0o660, 0o600] as [mode_t])
    func socketFileGetsTheConfiguredModeAndIsRemovedAtShutdown(mode: mode_t) async throws {
        let seenPath = Shared("")
        try await withServer(socketMode: mode, handler: Self.echo) { path in
            seenPath.update { $0 = path }
            var info = stat()
            #expect(lstat(path, &info) == 0)
            #expect(info.st_mode & 0o777 == mode)
            #expect(info.st_mode & S_IFMT == S_IFSOCK)
        }
        #expect(!FileManager.default.fileExists(atPath: seenPath.get()))
    }

    @Test func staleSocketFileIsReplacedButALiveServerIsNot() async throws {
        let path = temporarySocketPath()
        let stale = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(stale, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        close(stale)  // leaves the file behind, as a crashed daemon would

        let (listening, signal) = AsyncStream<Void>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await HTTPServer(socketPath: path, defaultHeaders: [], handler: Self.echo).run(onListening: { signal.yield() })
            }
            var events = listening.makeAsyncIterator()
            await events.next()
            let up = try await curl(path, "http://localhost/up")
            #expect(up.text == "GET /up - -")
            await #expect(throws: TransportError.socketInUse(path: path)) {
                try await HTTPServer(socketPath: path, defaultHeaders: [], handler: Self.echo).run()
            }
            group.cancelAll()
        }
    }

    @Test func unreachableDaemonErrorNamesTheSocket() {
        #expect {
            _ = try UnixHTTPClient(socketPath: "/tmp/berth-nobody-here.sock")
        } throws: { error in
            guard case .daemonUnreachable(let path, _)? = error as? TransportError else { return false }
            return path == "/tmp/berth-nobody-here.sock" && "\(error)".contains("unix:///tmp/berth-nobody-here.sock")
        }
    }
}

/// Lets a table of errors cross into a `@Sendable` handler.
struct ErrorBox: @unchecked Sendable {
    // Safe: the wrapped errors are immutable values created once by the test table and only thrown.
    let error: any Error
    init(_ error: any Error) { self.error = error }
}

/// The parts of an `HTTPResponse` a test inspects after the blocking client is done.
struct ResponseSnapshot: Sendable {
    let status: Int
    let headers: [(String, String)]
    init(_ response: HTTPResponse) {
        status = response.status
        headers = response.headers
    }
    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}
