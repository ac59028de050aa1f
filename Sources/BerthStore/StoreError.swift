/// Why a store operation failed; the code maps onto an HTTP status at the API.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable { case notFound, conflict, invalid, io }
    public let code: Code
    public let message: String
    /// The filesystem had no room (ENOSPC, EDQUOT).
    public internal(set) var outOfSpace = false
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { message }
}
