@testable import BerthRegistryServer
import BerthOCI
import Foundation
import Glibc
import Testing

/// `berth registry serve`'s limits against raw sockets: idle and dripping clients are cut off,
/// connections and upload sessions past their caps get the spec's error JSON, abandoned
/// uploads expire with their files. Timeouts are short here; assertions wait on outcomes (a
/// closed socket, an empty directory), never on how long they took.
@Suite(.serialized) struct RegistryLimitsTests {
    /// A server on a free port of 127.0.0.1 with a fresh root, stopped by `stop()`.
    final class Server: Sendable {
        let root = NSTemporaryDirectory() + "berth-registry-limits-\(UUID().uuidString)"
        let port: Int
        let task: Task<Void, Error>

        init(_ configure: (inout RegistryServer.Options) -> Void) async throws {
            var options = RegistryServer.Options(root: root)
            options.port = 0
            configure(&options)
            let server = RegistryServer(options: options)
            let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
            task = Task { try await server.run { continuation.yield($0) } }
            var iterator = ports.makeAsyncIterator()
            port = try #require(await iterator.next())
        }

        func stop() async {
            task.cancel()
            _ = await task.result
            try? FileManager.default.removeItem(atPath: root)
        }

        var ingests: [String] { (try? FileManager.default.contentsOfDirectory(atPath: "\(root)/ingest")) ?? [] }
    }

    /// A blocking TCP client; reads give up after 30 s (a generous bound, not a measurement).
    final class Client {
        let fd: Int32

        init(port: Int, receiveBuffer: Int32? = nil) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            if var size = receiveBuffer { setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size)) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
            var timeout = timeval(tv_sec: 30, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        deinit { close(fd) }

        /// Sends `text`; false once the server has closed the connection.
        @discardableResult
        func send(_ text: String) -> Bool {
            Array(text.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) == $0.count }
        }

        /// Everything until the server closes the connection (or 30 s pass: then nil).
        func readToClose() -> String? {
            var out = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n == 0 { return String(decoding: out, as: UTF8.self) }
                if n < 0 { return errno == ECONNRESET ? String(decoding: out, as: UTF8.self) : nil }
                out += buffer[0..<n]
            }
        }

        /// One response (head and a Content-Length body) to a request already sent.
        func readResponse() -> String {
            var out = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let text = String(decoding: out, as: UTF8.self)
                if let end = text.range(of: "\r\n\r\n") {
                    let length = text.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                        .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                    if text.utf8.count - text.utf8.distance(from: text.startIndex, to: end.upperBound) >= length { return text }
                }
                let n = recv(fd, &buffer, buffer.count, 0)
                if n <= 0 { return text }
                out += buffer[0..<n]
            }
        }
    }

    @Test func aSilentClientIsCutOffAfterTheIdleTimeoutAndAPromptOneIsServed() async throws {
        let server = try await Server { $0.idleTimeout = .milliseconds(500) }
        let silent = try Client(port: server.port)
        let prompt = try Client(port: server.port)
        prompt.send("GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(prompt.readResponse().hasPrefix("HTTP/1.1 200"))
        #expect(silent.readToClose() == "", "closed without an answer")
        // Kept alive after its response, the prompt one is idle again and cut off in turn.
        #expect(prompt.readToClose() == "")
        await server.stop()
    }

    @Test func aHeadDrippedByteByByteIsCutOff() async throws {
        let server = try await Server { $0.idleTimeout = .milliseconds(500) }
        let client = try Client(port: server.port)
        var sent = 0
        for byte in "GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Padding: \(String(repeating: "a", count: 200))\r\n\r\n" {
            guard client.send(String(byte)) else { break }
            sent += 1
            usleep(20_000)
        }
        #expect(sent < 200, "the server closed the connection before the head was complete")
        #expect(client.readToClose()?.contains("200 OK") != true)
        await server.stop()
    }

    @Test func aBodyDrippedByteByByteIsCutOff() async throws {
        let server = try await Server { $0.readTimeout = .milliseconds(500) }
        let client = try Client(port: server.port)
        client.send("POST /v2/app/blobs/uploads/ HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        let started = client.readResponse()
        #expect(started.hasPrefix("HTTP/1.1 202"))
        let location = try #require(started.split(separator: "\r\n").first { $0.hasPrefix("Location:") }?.dropFirst(10))
        client.send("PATCH \(location) HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
        var sent = 0
        while sent < 400, client.send("x") {
            sent += 1
            usleep(10_000)
        }
        #expect(sent < 400, "cut off long before 400 bytes dripped in")
        await server.stop()
    }

    @Test func connectionsPastTheCapGet503WithTheSpecsErrorJSON() async throws {
        let server = try await Server { $0.maxConnections = 2 }
        let held = try [Client(port: server.port), Client(port: server.port)]
        // Each holder has been accepted once its request is answered.
        for client in held {
            client.send("GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(client.readResponse().hasPrefix("HTTP/1.1 200"))
        }
        let extra = try Client(port: server.port)
        extra.send("GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n")
        let refused = try #require(extra.readToClose())
        #expect(refused.hasPrefix("HTTP/1.1 503"), "\(refused)")
        #expect(refused.contains(#"{"errors":[{"code":"UNAVAILABLE","message":"2 connections are open"#), "\(refused)")
        // One that sends nothing is not held for the idle timeout (120 s here) either.
        let silent = try Client(port: server.port)
        #expect(silent.readToClose() != nil, "closed within the 30 s this client waits")
        withExtendedLifetime(held) {}
        await server.stop()
    }

    @Test func uploadsPastTheCapGet429UntilOneIsCancelled() async throws {
        let server = try await Server { $0.maxUploads = 2 }
        let client = try Client(port: server.port)
        var locations: [String] = []
        for _ in 0..<2 {
            client.send("POST /v2/app/blobs/uploads/ HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            let response = client.readResponse()
            #expect(response.hasPrefix("HTTP/1.1 202"))
            locations += response.split(separator: "\r\n").filter { $0.hasPrefix("Location:") }.map { String($0.dropFirst(10)) }
        }
        client.send("POST /v2/app/blobs/uploads/ HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        let refused = client.readResponse()
        #expect(refused.hasPrefix("HTTP/1.1 429"), "\(refused)")
        #expect(refused.contains(#"{"errors":[{"code":"TOOMANYREQUESTS","message":"2 uploads are in progress"#), "\(refused)")
        let location = try #require(locations.first)
        client.send("DELETE \(location) HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        #expect(client.readResponse().hasPrefix("HTTP/1.1 204"))
        #expect(server.ingests.count == 1, "the cancelled session's ingest file is gone: \(server.ingests)")
        client.send("POST /v2/app/blobs/uploads/ HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        #expect(client.readResponse().hasPrefix("HTTP/1.1 202"), "room for a new upload again")
        await server.stop()
    }

    @Test func abandonedUploadsExpireWithTheirFiles() async throws {
        let server = try await Server { $0.uploadTimeout = .seconds(1) }
        let client = try Client(port: server.port)
        client.send("POST /v2/app/blobs/uploads/ HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        let started = client.readResponse()
        #expect(started.hasPrefix("HTTP/1.1 202"))
        let location = try #require(started.split(separator: "\r\n").first { $0.hasPrefix("Location:") }?.dropFirst(10))
        // Untouched past --upload-timeout, the session goes with its ingest file.
        for _ in 0..<300 where !server.ingests.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
        #expect(server.ingests.isEmpty, "\(server.ingests)")
        client.send("GET \(location) HTTP/1.1\r\nHost: x\r\n\r\n")
        let gone = client.readResponse()
        #expect(gone.hasPrefix("HTTP/1.1 404") && gone.contains("BLOB_UPLOAD_UNKNOWN"), "\(gone)")
        await server.stop()
    }

    /// The `Location` header of a response.
    static func location(_ response: String) -> String? {
        response.split(separator: "\r\n").first { $0.hasPrefix("Location:") }.map { String($0.dropFirst(10)) }
    }

    @Test func overlappingGappedAndRepeatedChunksGet416AndTheUploadStaysWhereItWas() async throws {
        let server = try await Server { _ in }
        let client = try Client(port: server.port)
        client.send("POST /v2/app/blobs/uploads/ HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        var location = try #require(Self.location(client.readResponse()))
        let data = "0123456789abcdefghij"
        func patch(_ range: String, _ chunk: String) -> String {
            let fresh = try! Client(port: server.port)
            fresh.send("PATCH \(location) HTTP/1.1\r\nHost: x\r\nContent-Range: \(range)\r\nContent-Length: \(chunk.utf8.count)\r\n\r\n\(chunk)")
            let response = fresh.readResponse()
            if let next = Self.location(response) { location = next }
            return response
        }
        let first = patch("0-9", String(data.prefix(10)))
        #expect(first.hasPrefix("HTTP/1.1 202") && first.contains("Range: 0-9"), "\(first)")
        for (range, chunk) in [("5-14", "56789abcde"), ("0-9", "0123456789"), ("15-19", "fghij")] {
            let refused = patch(range, chunk)
            #expect(refused.hasPrefix("HTTP/1.1 416") && refused.contains("RANGE_INVALID") && refused.contains("Range: 0-9"), "\(range): \(refused)")
        }
        // On a kept-alive connection the refused chunk's body is not taken for the next request.
        client.send("PATCH \(location) HTTP/1.1\r\nHost: x\r\nContent-Range: 5-14\r\nContent-Length: 10\r\n\r\n56789abcde")
        #expect(client.readResponse().hasPrefix("HTTP/1.1 416"))
        client.send("GET \(location) HTTP/1.1\r\nHost: x\r\n\r\n")
        let status = client.readResponse()
        #expect(status.hasPrefix("HTTP/1.1 204") && status.contains("Range: 0-9"), "\(status)")
        let second = patch("10-19", String(data.suffix(10)))
        #expect(second.hasPrefix("HTTP/1.1 202") && second.contains("Range: 0-19"), "\(second)")
        let digest = Digest.sha256(of: Array(data.utf8))
        let separator = location.contains("?") ? "&" : "?"
        client.send("PUT \(location)\(separator)digest=\(digest) HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        let put = client.readResponse()
        #expect(put.hasPrefix("HTTP/1.1 201"), "\(put)")
        client.send("GET /v2/app/blobs/\(digest) HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(client.readResponse().hasSuffix("\r\n\r\n\(data)"), "the stored blob is the two accepted chunks, once each")
        await server.stop()
    }

    @Test func aMountFromARepositoryWithoutTheBlobStartsAnUploadInstead() async throws {
        let server = try await Server { _ in }
        let client = try Client(port: server.port)
        let blob = "layer bytes"
        let digest = Digest.sha256(of: Array(blob.utf8))
        client.send("POST /v2/holder/blobs/uploads/?digest=\(digest) HTTP/1.1\r\nHost: x\r\nContent-Length: \(blob.utf8.count)\r\n\r\n\(blob)")
        #expect(client.readResponse().hasPrefix("HTTP/1.1 201"))
        let other = "other bytes"
        client.send("POST /v2/other/blobs/uploads/?digest=\(Digest.sha256(of: Array(other.utf8))) HTTP/1.1\r\nHost: x\r\nContent-Length: \(other.utf8.count)\r\n\r\n\(other)")
        #expect(client.readResponse().hasPrefix("HTTP/1.1 201"))
        // The blob is in the store, but not in `other` (or in a repository that does not exist).
        for from in ["other", "nosuchrepo"] {
            client.send("POST /v2/taker/blobs/uploads/?mount=\(digest)&from=\(from) HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            let response = client.readResponse()
            #expect(response.hasPrefix("HTTP/1.1 202") && Self.location(response)?.hasPrefix("/v2/taker/blobs/uploads/") == true, "\(from): \(response)")
            client.send("GET /v2/taker/blobs/\(digest) HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(client.readResponse().hasPrefix("HTTP/1.1 404"), "nothing was mounted from \(from)")
        }
        client.send("POST /v2/taker/blobs/uploads/?mount=\(digest)&from=holder HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        let mounted = client.readResponse()
        #expect(mounted.hasPrefix("HTTP/1.1 201") && Self.location(mounted) == "/v2/taker/blobs/\(digest)", "\(mounted)")
        await server.stop()
    }

    @Test func aClientThatStopsReadingADownloadIsCutOff() async throws {
        let server = try await Server { $0.readTimeout = .seconds(1) }
        let blob = [UInt8](repeating: 0x61, count: 32 << 20)
        let digest = Digest.sha256(of: blob)
        let pusher = try Client(port: server.port)
        pusher.send("POST /v2/app/blobs/uploads/?digest=\(digest) HTTP/1.1\r\nHost: x\r\nContent-Length: \(blob.count)\r\n\r\n")
        _ = blob.withUnsafeBytes { Glibc.send(pusher.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        #expect(pusher.readResponse().hasPrefix("HTTP/1.1 201"))
        let reader = try Client(port: server.port, receiveBuffer: 4096)
        reader.send("GET /v2/app/blobs/\(digest) HTTP/1.1\r\nHost: x\r\n\r\n")
        // Not reading for five read timeouts: the server gives up on the response.
        try await Task.sleep(for: .seconds(5))
        var received = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = recv(reader.fd, &buffer, buffer.count, 0)
            if n <= 0 {
                #expect(n == 0 || errno == ECONNRESET, "closed by the server, not a 30 s receive timeout")
                break
            }
            received += n
        }
        #expect(received < blob.count, "the download was abandoned part way (\(received) bytes came)")
        // A reader that keeps reading gets all of it.
        let steady = try Client(port: server.port)
        steady.send("GET /v2/app/blobs/\(digest) HTTP/1.1\r\nHost: x\r\n\r\n")
        var total = 0
        while total <= blob.count {
            let n = recv(steady.fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            total += n
        }
        #expect(total > blob.count, "head and the whole body (\(total) bytes came)")
        await server.stop()
    }
}
