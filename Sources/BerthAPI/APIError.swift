import BerthEngine

/// An error answered with a status code and `{"message": ...}`.
public struct APIError: HTTPErrorConvertible, CustomStringConvertible {
    public let httpStatus: Int
    public let httpMessage: String
    public init(_ status: Int, _ message: String) {
        httpStatus = status
        httpMessage = message
    }
    public var description: String { httpMessage }

    static func badRequest(_ m: String) -> APIError { APIError(400, m) }
    static func notFound(_ m: String) -> APIError { APIError(404, m) }
}

extension EngineError: HTTPErrorConvertible {
    public var httpStatus: Int {
        switch kind {
        case .notFound: 404
        case .conflict: 409
        case .invalid: 400
        case .unauthorized: 401
        case .unavailable: 501
        case .internalError: 500
        }
    }
    public var httpMessage: String { message }
}

/// Maps any error to an API error, keeping typed ones' status.
func apiError(_ e: any Error) -> any HTTPErrorConvertible {
    if let h = e as? HTTPErrorConvertible { return h }
    return EngineError.from(e)
}
