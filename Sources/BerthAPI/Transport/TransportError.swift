import Glibc

/// Failures of the HTTP transport, on either the daemon or the client side.
public enum TransportError: Error, Equatable, CustomStringConvertible {
    /// Nothing accepts connections at the daemon's socket path.
    case daemonUnreachable(socketPath: String, errno: Int32)
    /// Another process is already serving on the socket path the daemon wants to bind.
    case socketInUse(path: String)
    /// The socket path does not fit in `sockaddr_un.sun_path`.
    case socketPathTooLong(path: String)
    /// The peer closed the connection before the message was complete.
    case connectionClosed
    /// The peer sent something that is not valid HTTP/1.1.
    case malformedMessage(String)
    /// A system call failed.
    case systemCall(String, errno: Int32)
    /// A response operation was used out of order (for example a second `writeHead`).
    case invalidResponseState(String)
    /// Two tasks read the same connection at once; the transport refuses rather than racing.
    case concurrentRead

    /// A message a user can act on.
    public var description: String {
        switch self {
        case .daemonUnreachable(let path, let code):
            return "Cannot connect to the Berth daemon at unix://\(path) (\(Self.text(code))). Is berthd running?"
        case .socketInUse(let path):
            return "another daemon is already listening on \(path)"
        case .socketPathTooLong(let path):
            return "socket path is too long: \(path)"
        case .connectionClosed:
            return "the connection was closed before the message was complete"
        case .malformedMessage(let detail):
            return "malformed HTTP message: \(detail)"
        case .systemCall(let call, let code):
            return "\(call) failed: \(Self.text(code))"
        case .invalidResponseState(let detail):
            return "invalid response state: \(detail)"
        case .concurrentRead:
            return "the connection is already being read by another task"
        }
    }

    private static func text(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
