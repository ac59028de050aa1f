import Glibc

/// The one error type of BerthRuntime: a code berthd can map to an API status, and a message in
/// Docker's words.
public struct RuntimeError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// Something named does not exist (a user, a group, an executable, a socket).
        case notFound
        /// A request or a spec that cannot be carried out as written.
        case invalidArgument
        /// The operation is not permitted.
        case permissionDenied
        /// A system call failed for another reason.
        case system
    }

    public var code: Code
    public var message: String
    /// The errno behind a `.system` error, 0 when none.
    public var errno: Int32

    public init(_ code: Code, _ message: String, errno: Int32 = 0) {
        self.code = code
        self.message = message
        self.errno = errno
    }

    public var description: String { message }

    /// A failed system call: `what: strerror(errno)`, with the current errno unless given.
    static func sys(_ what: String, errno err: Int32 = Glibc.errno) -> RuntimeError {
        let code: Code = switch err {
        case ENOENT: .notFound
        case EPERM, EACCES: .permissionDenied
        case EINVAL: .invalidArgument
        default: .system
        }
        return RuntimeError(code, "\(what): \(errorString(err))", errno: err)
    }
}

/// strerror(3) as Swift text (lowercased first letter, like Go's syscall errors Docker prints).
func errorString(_ err: Int32) -> String {
    guard let text = strerror(err) else { return "errno \(err)" }
    let s = String(cString: text)
    guard let first = s.first else { return s }
    return first.lowercased() + s.dropFirst()
}
