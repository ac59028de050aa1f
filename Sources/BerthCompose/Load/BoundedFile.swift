import Foundation
import Glibc

/// Reads a compose or env file: only a regular file (a FIFO or `/dev/zero` named by a hostile
/// `env_file:` would never end), at most `limit` bytes.
enum BoundedFile {
    static func read(_ path: String, limit: Int) throws -> Data {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw ComposeError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw ComposeError.unreadable(path: path, reason: "not a regular file")
        }
        guard st.st_size <= limit else { throw ComposeError.tooLarge(file: path, bytes: Int(st.st_size), limit: limit) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw ComposeError.unreadable(path: path, reason: String(cString: strerror(errno))) }
            if n == 0 { return data }
            data.append(contentsOf: buffer[0..<n])
            guard data.count <= limit else { throw ComposeError.tooLarge(file: path, bytes: data.count, limit: limit) }
        }
    }
}
