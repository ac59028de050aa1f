/// Why talking to a registry failed, with a code the Engine API maps to a status.
public struct RegistryError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable, Equatable {
        /// The manifest, tag, blob or repository does not exist (404).
        case notFound
        /// Credentials were refused or missing (401/403).
        case unauthorized
        /// The registry sent something berth refuses: a digest mismatch, an oversized or malformed document.
        case invalid
        /// The registry could not be reached or kept failing (5xx, resets, timeouts).
        case unavailable
        /// A local file could not be created or written (the disk, not the registry).
        case io
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
