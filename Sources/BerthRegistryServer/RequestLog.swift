import Foundation
import Synchronization

/// One line per request, on stderr or appended to a file:
/// `2026-01-02T03:04:05Z alice "PUT /v2/app/blobs/uploads/<id>?digest=sha256:..." 201 0 12ms`.
final class RequestLog: Sendable {
    private let fd: Int32
    private let lock = Mutex(())

    /// Logs to `path` (appending), or to stderr when nil.
    init(path: String?) throws {
        if let path {
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw RegistryServerError("cannot open the log file \(path): \(String(cString: strerror(errno)))") }
            self.fd = fd
        } else {
            fd = 2
        }
    }

    func record(user: String?, method: String, target: String, status: Int, bytes: Int64, started: ContinuousClock.Instant, failure: String? = nil) {
        let elapsed = ContinuousClock.now - started
        let ms = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        let time = Date().formatted(.iso8601)
        // Decoded paths may hold newlines and quotes: escaped, so no request can forge a log line.
        let shown = String(target.unicodeScalars.flatMap { c -> [Unicode.Scalar] in
            c.value < 0x20 || c.value == 0x7f || c == "\"" || c == "\\" ? Array(c.escaped(asASCII: true).unicodeScalars) : [c]
        }.map(Character.init))
        let line = "\(time) \(user ?? "-") \"\(method) \(shown)\" \(status) \(bytes) \(ms)ms\(failure.map { " failed after the response head: \($0)" } ?? "")\n"
        lock.withLock { _ in
            _ = line.withCString { write(fd, $0, strlen($0)) }
        }
    }
}

/// A problem with the server's configuration or files (not a request's failure).
public struct RegistryServerError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
