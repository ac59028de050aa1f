/// Why a layer could not be read, written or applied.
public struct ArchiveError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable {
        /// An entry tried to leave the layer root (`..`, absolute path, through a symlink).
        case escape
        /// The stream is not a tar, is truncated, or is otherwise corrupt.
        case malformed
        /// A filesystem call failed while applying the layer.
        case io
        /// An entry would replace a directory with a file or the reverse, which was refused.
        case conflict
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
