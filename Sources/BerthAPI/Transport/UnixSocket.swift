import Foundation
import Glibc

/// A connected, blocking unix stream socket with a read buffer: the client's wire.
///
/// Blocking POSIX calls keep the CLI free of event loops and start-up cost. Writes use
/// `MSG_NOSIGNAL`, so a daemon that went away yields an error instead of killing the CLI with SIGPIPE.
final class UnixSocket {
    private(set) var fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0

    private init(fd: Int32) {
        self.fd = fd
    }

    deinit { close() }

    /// Connects to `path`, failing with `TransportError.daemonUnreachable`.
    static func connect(path: String) throws -> UnixSocket {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else { throw TransportError.socketPathTooLong(path: path) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            raw[pathBytes.count] = 0
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TransportError.systemCall("socket", errno: errno) }
        let connection = UnixSocket(fd: fd)
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else { throw TransportError.daemonUnreachable(socketPath: path, errno: errno) }
        return connection
    }

    /// Wraps an already connected descriptor (an idle keep-alive connection).
    static func adopt(_ fd: Int32) -> UnixSocket {
        UnixSocket(fd: fd)
    }

    /// Whether bytes have been received but not yet consumed.
    var hasBufferedBytes: Bool { start < buffer.count }

    /// Sends all of `bytes`.
    func write(_ bytes: some DataProtocol) throws {
        let contiguous = Array(bytes)
        try contiguous.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let sent = Glibc.send(fd, raw.baseAddress.map { $0 + offset }, raw.count - offset, Int32(MSG_NOSIGNAL))
                if sent < 0 {
                    let code = errno
                    if code == EINTR { continue }
                    throw TransportError.systemCall("send", errno: code)
                }
                offset += sent
            }
        }
    }

    /// Sends UTF-8 text.
    func write(_ text: String) throws {
        try write(Array(text.utf8))
    }

    /// Up to `maxLength` bytes, buffered ones first; blocks until some arrive. Nil at end of stream.
    func read(upTo maxLength: Int) throws -> Data? {
        if !hasBufferedBytes, try !fill() { return nil }
        let end = min(buffer.count, start + maxLength)
        // One copy of the bytes (a slice converted element by element is slow in debug builds).
        let data = buffer.withUnsafeBytes { Data(bytes: $0.baseAddress! + start, count: end - start) }
        start = end
        return data
    }

    /// One line ending in CRLF (or LF), without its terminator. Nil if the stream ends first.
    func readLine(limit: Int = 64 * 1024) throws -> String? {
        var scanned = 0  // bytes after `start` already known to hold no newline
        while true {
            if let newline = buffer[(start + scanned)...].firstIndex(of: UInt8(ascii: "\n")) {
                var lineEnd = newline
                if lineEnd > start, buffer[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
                let line = String(decoding: buffer[start..<lineEnd], as: UTF8.self)
                start = newline + 1
                return line
            }
            scanned = buffer.count - start
            guard scanned <= limit else { throw TransportError.malformedMessage("line too long") }
            guard try fill() else { return nil }
        }
    }

    /// Exactly `count` bytes.
    func readExactly(_ count: Int) throws -> Data {
        var data = Data()
        while data.count < count {
            guard let piece = try read(upTo: count - data.count) else { throw TransportError.connectionClosed }
            data.append(piece)
        }
        return data
    }

    /// Gives up the descriptor and any buffered bytes; the socket no longer closes it.
    func detach() -> (fd: Int32, buffered: Data) {
        let buffered = Data(buffer[start...])
        let fd = self.fd
        self.fd = -1
        buffer = []
        start = 0
        return (fd, buffered)
    }

    /// Closes the descriptor (idempotent).
    func close() {
        guard fd >= 0 else { return }
        Glibc.close(fd)
        fd = -1
    }

    /// Receives more bytes into the buffer, compacting it first. False at end of stream.
    private func fill() throws -> Bool {
        if start > 0 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        let chunk = 64 * 1024
        // Received into a fresh array and appended whole: both are memcpy, where growing and
        // trimming the buffer element by element is slow in debug builds.
        let incoming = try [UInt8](unsafeUninitializedCapacity: chunk) { raw, count in
            while true {
                let received = recv(fd, raw.baseAddress, chunk, 0)
                let code = errno
                if received < 0 && code == EINTR { continue }
                // berthd ends a response it cannot finish by closing the connection; on a unix
                // socket that arrives as a reset when bytes were still queued on its side. Either
                // way the stream has ended, and the body says how far it got.
                if received < 0 && code == ECONNRESET { count = 0; return }
                if received < 0 { throw TransportError.systemCall("recv", errno: code) }
                count = received
                return
            }
        }
        buffer.append(contentsOf: incoming)
        return !incoming.isEmpty
    }
}
