import Foundation
import Glibc
import Synchronization

/// The CLI's HTTP/1.1 client for the daemon's unix socket.
///
/// Blocking and NIO-free so the CLI starts fast. A connection whose response was read to the end is
/// kept and reused for the next request; a request sent while another response is still being read
/// (a `/wait` or a hijack in flight) opens a new connection, as the docker CLI does.
public final class UnixHTTPClient: Sendable {
    /// The daemon's socket path.
    public let socketPath: String
    /// Descriptors of idle keep-alive connections.
    private let idle = Mutex<[Int32]>([])
    /// How many connections this client has opened (for tests of connection reuse).
    let connectionsOpened = Mutex(0)

    /// Connects to the daemon at once, so an absent daemon is reported before any work starts.
    /// - Throws: `TransportError.daemonUnreachable` naming the path.
    public init(socketPath: String) throws {
        self.socketPath = socketPath
        let first = try openConnection()
        release(first.detach().fd)
    }

    deinit {
        idle.withLock { fds in
            for fd in fds { Glibc.close(fd) }
        }
    }

    /// Sends one request and returns once the response head has arrived; the body is then read from
    /// the returned `HTTPResponse`.
    ///
    /// - Parameters:
    ///   - path: the request path exactly as sent, including any `/v1.xx` prefix.
    ///   - query: parameters, percent-encoded here (JSON `filters` values are fine as they are).
    public func send(
        method: String,
        path: String,
        query: [(String, String)] = [],
        headers: [(String, String)] = [],
        body: RequestBodySource = .none
    ) throws -> HTTPResponse {
        let request = RequestHead(method: method, path: path, query: query, headers: headers, body: body)
        while true {
            let (connection, reused) = try checkout()
            do {
                try request.write(to: connection, body: body)
            } catch TransportError.systemCall where reused && body.isReplayable {
                continue  // the daemon closed this idle connection; try a fresh one
            } catch {
                // The daemon may have answered early (a 4xx before reading a large upload) and
                // closed; its answer is more useful than the broken pipe.
                if let early = try? HTTPResponse.read(from: connection, method: method, client: self, reusable: false) {
                    return early
                }
                throw error
            }
            do {
                return try HTTPResponse.read(from: connection, method: method, client: self)
            } catch TransportError.connectionClosed where reused && body.isReplayable && request.isIdempotent {
                continue
            }
        }
    }

    /// An idle connection if there is one, else a new one.
    private func checkout() throws -> (UnixSocket, reused: Bool) {
        if let fd = idle.withLock({ $0.popLast() }) { return (UnixSocket.adopt(fd), true) }
        return (try openConnection(), false)
    }

    private func openConnection() throws -> UnixSocket {
        let connection = try UnixSocket.connect(path: socketPath)
        connectionsOpened.withLock { $0 += 1 }
        return connection
    }

    /// Takes back a connection whose response was fully read.
    func release(_ fd: Int32) {
        idle.withLock { $0.append(fd) }
    }
}
