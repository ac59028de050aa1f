import Glibc

/// An error from the network layer: a kind the engine maps to an API status, and a message a
/// user can act on.
public struct NetworkError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable { case invalid, conflict, unavailable, system }
    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// A failed system call, with errno's text.
    static func sys(_ what: String, errno code: Int32) -> NetworkError {
        NetworkError(.system, "\(what): \(String(cString: strerror(code)))")
    }
}


