import CBerthSys
import Glibc

/// Plain file-descriptor operations over Glibc, retrying EINTR. The shim is single-threaded and
/// forks, so these avoid anything that could start a thread.
enum Descriptor {
    /// A pipe whose ends are both CLOEXEC: `(read, write)`.
    static func pipe() throws(RuntimeError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard berth_pipe2(&fds, O_CLOEXEC) == 0 else { throw .sys("pipe") }
        return (fds[0], fds[1])
    }

    /// A connected CLOEXEC unix stream socket pair.
    static func socketPair() throws(RuntimeError) -> (Int32, Int32) {
        var fds: [Int32] = [-1, -1]
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, type, 0, &fds) == 0 else { throw .sys("socketpair") }
        return (fds[0], fds[1])
    }

    static func close(_ fd: Int32) {
        if fd >= 0 { _ = Glibc.close(fd) }
    }

    /// Writes every byte, retrying EINTR and short writes (for blocking fds).
    static func writeAll(_ fd: Int32, _ bytes: some Collection<UInt8>) throws(RuntimeError) {
        let data = Array(bytes)
        var offset = 0
        while offset < data.count {
            let n = data.withUnsafeBytes { buf -> Int in
                guard let base = buf.baseAddress else { return 0 }
                return Glibc.write(fd, base + offset, data.count - offset)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw .sys("write")
            }
            offset += n
        }
    }

    static func writeAll(_ fd: Int32, _ text: String) throws(RuntimeError) {
        try writeAll(fd, Array(text.utf8))
    }

    /// One read of at most `max` bytes: `nil` on EAGAIN, `[]` at end of file.
    static func read(_ fd: Int32, max: Int = 32 * 1024) throws(RuntimeError) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: max)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, max) }
            if n >= 0 {
                buffer.removeSubrange(n...)
                return buffer
            }
            switch errno {
            case EINTR: continue
            case EAGAIN: return nil
            default: throw .sys("read")
            }
        }
    }

    /// Reads until end of file (blocking fds), keeping at most `limit` bytes.
    static func readToEnd(_ fd: Int32, limit: Int = 1 << 20) throws(RuntimeError) -> [UInt8] {
        var out: [UInt8] = []
        while let chunk = try read(fd), !chunk.isEmpty {
            if out.count < limit { out += chunk.prefix(limit - out.count) }
        }
        return out
    }

    static func setNonBlocking(_ fd: Int32) {
        _ = berth_set_nonblocking(fd, 1)
    }

    /// Opens `path` on the host read-only, blocking, CLOEXEC.
    static func openReadOnly(_ path: String) throws(RuntimeError) -> Int32 {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .sys("open \(path)") }
        return fd
    }

    /// The whole content of a host file.
    static func readFile(_ path: String, limit: Int = 16 << 20) throws(RuntimeError) -> [UInt8] {
        let fd = try openReadOnly(path)
        defer { close(fd) }
        return try readToEnd(fd, limit: limit)
    }
}
