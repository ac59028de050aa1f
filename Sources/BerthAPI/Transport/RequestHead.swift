import Foundation
import Glibc

/// A client request's start line and headers, and how its body is framed on the wire.
struct RequestHead {
    let method: String
    let target: String
    let headers: [(String, String)]

    init(method: String, path: String, query: [(String, String)], headers: [(String, String)], body: RequestBodySource) {
        self.method = method
        var target = path
        if !query.isEmpty {
            target += "?" + query.map { PercentEncoding.encode($0.0) + "=" + PercentEncoding.encode($0.1) }
                .joined(separator: "&")
        }
        self.target = target
        var fields = headers
        let given = Set(headers.map { $0.0.lowercased() })
        if !given.contains("host") { fields.insert(("Host", "localhost"), at: 0) }
        switch body {
        case .none:
            if ["POST", "PUT", "PATCH"].contains(method) { fields.append(("Content-Length", "0")) }
        case .data(let data):
            fields.append(("Content-Length", String(data.count)))
        case .stream:
            fields.append(("Transfer-Encoding", "chunked"))
        }
        self.headers = fields
    }

    /// Methods safe to resend when a reused connection turns out to be closed.
    var isIdempotent: Bool { ["GET", "HEAD", "OPTIONS"].contains(method) }

    /// Writes the head and the body.
    func write(to connection: UnixSocket, body: RequestBodySource) throws {
        var text = "\(method) \(target) HTTP/1.1\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        switch body {
        case .none:
            try connection.write(text)
        case .data(let data):
            try connection.write(Data(text.utf8) + data)
        case .stream(let handle, let progress):
            try connection.write(text)
            try Self.writeChunked(from: handle.fileDescriptor, to: connection, progress: progress)
        }
    }

    /// Copies `fd` to the connection as HTTP chunks, forwarding whatever each `read` returns so an
    /// interactive pipe is not held back waiting for a full buffer.
    private static func writeChunked(from fd: Int32, to connection: UnixSocket, progress: ((Int64) -> Void)?) throws {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var sent: Int64 = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                throw TransportError.systemCall("read request body", errno: code)
            }
            if count == 0 { break }
            var chunk = Data(String(count, radix: 16).utf8) + Data("\r\n".utf8)
            chunk.append(contentsOf: buffer[0..<count])
            chunk.append(contentsOf: Array("\r\n".utf8))
            try connection.write(chunk)
            sent += Int64(count)
            progress?(sent)
        }
        try connection.write("0\r\n\r\n")
    }
}
