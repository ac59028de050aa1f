import Glibc

/// Why a cgroup operation failed, in words a `docker run` user can act on: limit errors name
/// the flag and its value (`--memory 4m: minimum memory limit is 6MB`).
public struct CgroupError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: Sendable, Equatable {
        /// A limit value is out of range or malformed (HTTP 400 at the API).
        case invalidArgument
        /// This host cannot do what was asked (no swap accounting, controller missing).
        case unsupported
        /// The cgroup (or a process) does not exist.
        case notFound
        /// The kernel refused for now (processes left, freezing stuck, limit below usage).
        case busy
        /// A cgroup file could not be read or written.
        case io
    }

    public let code: Code
    public let message: String
    /// The errno behind an `io` or `busy` failure, when there was one.
    public let errno: Int32?

    public init(_ code: Code, _ message: String, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
    }

    public var description: String { message }

    /// `<flag> <value>: <reason>`, Docker's way of naming the offending option.
    static func invalid(_ flag: String, _ value: String, _ reason: String) -> CgroupError {
        CgroupError(.invalidArgument, "\(flag) \(value): \(reason)")
    }

    /// A failed system call on a cgroup file, with the flag it served when there is one.
    static func system(_ op: String, _ path: String, errno code: Int32, flag: String? = nil) -> CgroupError {
        let reason = String(cString: strerror(code))
        let prefix = flag.map { "\($0): " } ?? ""
        let kind: Code = code == ENOENT ? .notFound : (code == EBUSY ? .busy : .io)
        return CgroupError(kind, "\(prefix)\(op) \(path): \(reason)", errno: code)
    }
}
