import CBerthSys
import Glibc

/// Unix stream sockets: the shim's listening control socket and the client side.
enum UnixSocket {
    /// Listens on `path` (a stale socket file is removed first), mode 0600, non-blocking.
    static func listen(at path: String) throws(RuntimeError) -> Int32 {
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw .sys("socket") }
        do throws(RuntimeError) {
            try withAddress(path) { addr, len throws(RuntimeError) in
                guard bind(fd, addr, len) == 0 else { throw .sys("bind \(path)") }
            }
            chmod(path, 0o600)
            guard Glibc.listen(fd, 64) == 0 else { throw .sys("listen \(path)") }
        } catch {
            Descriptor.close(fd)
            throw error
        }
        return fd
    }

    /// A blocking connection to `path`.
    static func connect(to path: String) throws(RuntimeError) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .sys("socket") }
        do throws(RuntimeError) {
            try withAddress(path) { addr, len throws(RuntimeError) in
                var rc: Int32
                repeat { rc = Glibc.connect(fd, addr, len) } while rc != 0 && errno == EINTR
                guard rc == 0 else { throw .sys("connect \(path)") }
            }
        } catch {
            Descriptor.close(fd)
            throw error
        }
        return fd
    }

    /// send(2) without SIGPIPE: bytes written, 0 when it would block, -1 when the peer is gone.
    static func send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
        while true {
            let n = Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
            if n >= 0 { return n }
            if errno == EINTR { continue }
            return errno == EAGAIN ? 0 : -1
        }
    }

    /// write(2) for pipes and ptys, same convention as `send`.
    static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
        while true {
            let n = Glibc.write(fd, bytes.baseAddress, bytes.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            return errno == EAGAIN ? 0 : -1
        }
    }

    private static func withAddress(_ path: String,
                                    _ body: (UnsafePointer<sockaddr>, socklen_t) throws(RuntimeError) -> Void) throws(RuntimeError) {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard bytes.count < capacity else {
            throw RuntimeError(.invalidArgument, "socket path too long (\(bytes.count) bytes, at most \(capacity - 1)): \(path)")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let len = socklen_t(MemoryLayout<sockaddr_un>.size)
        try withUnsafePointer(to: &addr) { ptr throws(RuntimeError) in
            try ptr.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa throws(RuntimeError) in
                try body(sa, len)
            }
        }
    }
}
