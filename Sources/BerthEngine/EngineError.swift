import BerthArchive
import BerthNetwork
import BerthOCI
import BerthRegistry
import BerthStore

/// An error from berthd's services, with a kind the API maps to a status code.
public struct EngineError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable { case notFound, conflict, invalid, unauthorized, unavailable, internalError }
    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// Wraps the typed errors of the lower modules.
    public static func from(_ error: any Error) -> EngineError {
        switch error {
        case let e as EngineError: return e
        case let e as StoreError:
            switch e.code {
            case .notFound: return EngineError(.notFound, e.message)
            case .conflict: return EngineError(.conflict, e.message)
            case .invalid: return EngineError(.invalid, e.message)
            case .io: return EngineError(.internalError, e.message)
            }
        case let e as OCIError: return EngineError(.invalid, e.message)
        case let e as NetworkError:
            switch e.kind {
            case .invalid: return EngineError(.invalid, e.message)
            case .conflict: return EngineError(.conflict, e.message)
            case .unavailable: return EngineError(.unavailable, e.message)
            case .system: return EngineError(.internalError, e.message)
            }
        case let e as RegistryError:
            switch e.code {
            case .notFound: return EngineError(.notFound, e.message)
            case .unauthorized: return EngineError(.unauthorized, e.message)
            // A registry that misbehaves or cannot be reached is the daemon's failure, as dockerd reports it (500).
            case .invalid, .unavailable, .io: return EngineError(.internalError, e.message)
            }
        case let e as ArchiveError:
            return EngineError(e.code == .io ? .internalError : .invalid, e.message)
        default: return EngineError(.internalError, "\(error)")
        }
    }
}
