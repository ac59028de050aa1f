import Foundation
import Glibc
import Synchronization

/// The client side of a hijacked connection (attach, exec start): raw bytes both ways.
///
/// Reading and writing may happen on different threads at once (copying stdin in while printing
/// output). `close()` only shuts the socket down, which wakes a blocked reader; the descriptor is
/// released when the object goes away, so a concurrent call never touches a reused descriptor.
public final class HijackedConnection: Sendable {
    private let fd: Int32
    /// Bytes that arrived together with the response head.
    private let buffered: Mutex<Data>

    init(fd: Int32, buffered: Data) {
        self.fd = fd
        self.buffered = Mutex(buffered)
    }

    deinit { Glibc.close(fd) }

    /// Up to `maxLength` bytes from the daemon, blocking until some arrive; nil once it closes.
    public func read(maxLength: Int = 32 * 1024) throws -> Data? {
        let early = buffered.withLock { data -> Data in
            defer { data = Data() }
            return data
        }
        if !early.isEmpty { return early }
        var bytes = [UInt8](repeating: 0, count: maxLength)
        while true {
            let count = bytes.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                throw TransportError.systemCall("recv", errno: code)
            }
            return count == 0 ? nil : Data(bytes[0..<count])
        }
    }

    /// Sends all of `data`.
    public func write(_ data: Data) throws {
        try data.withUnsafeBytes { raw in
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

    /// Half-closes: tells the daemon stdin has ended while output keeps flowing.
    public func closeWrite() throws {
        guard shutdown(fd, Int32(SHUT_WR)) == 0 else { throw TransportError.systemCall("shutdown", errno: errno) }
    }

    /// Shuts the connection down in both directions; a blocked `read` returns nil.
    public func close() {
        shutdown(fd, Int32(SHUT_RDWR))
    }
}
