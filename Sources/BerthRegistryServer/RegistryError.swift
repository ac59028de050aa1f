import Foundation

/// A failure answered in the distribution spec's error shape: `{"errors":[{"code","message","detail"}]}`.
public struct RegistryError: Error, Sendable, CustomStringConvertible {
    /// The spec's error codes (distribution-spec "Error Codes").
    public enum Code: String, Sendable {
        case blobUnknown = "BLOB_UNKNOWN"
        case blobUploadInvalid = "BLOB_UPLOAD_INVALID"
        case blobUploadUnknown = "BLOB_UPLOAD_UNKNOWN"
        case digestInvalid = "DIGEST_INVALID"
        case manifestBlobUnknown = "MANIFEST_BLOB_UNKNOWN"
        case manifestInvalid = "MANIFEST_INVALID"
        case manifestUnknown = "MANIFEST_UNKNOWN"
        case nameInvalid = "NAME_INVALID"
        case nameUnknown = "NAME_UNKNOWN"
        case sizeInvalid = "SIZE_INVALID"
        case unauthorized = "UNAUTHORIZED"
        case denied = "DENIED"
        case unsupported = "UNSUPPORTED"
        case rangeInvalid = "RANGE_INVALID"
        /// docker/distribution's codes for a server at its limits.
        case tooManyRequests = "TOOMANYREQUESTS"
        case unavailable = "UNAVAILABLE"
    }

    public let code: Code
    public let status: Int
    public let message: String

    public init(_ code: Code, _ message: String, status: Int? = nil) {
        self.code = code
        self.message = message
        self.status = status ?? Self.defaultStatus(code)
    }

    public var description: String { "\(code.rawValue): \(message)" }

    static func defaultStatus(_ code: Code) -> Int {
        switch code {
        case .blobUnknown, .blobUploadUnknown, .manifestUnknown, .nameUnknown, .manifestBlobUnknown: 404
        case .unauthorized: 401
        case .denied: 403
        case .unsupported: 405
        case .rangeInvalid: 416
        case .tooManyRequests: 429
        case .unavailable: 503
        default: 400
        }
    }

    /// The JSON body.
    var body: Data {
        struct Entry: Encodable { var code: String; var message: String; var detail: [String: String]? }
        struct Body: Encodable { var errors: [Entry] }
        let encoder = JSONEncoder()
        // Sorted: `code` before `message`, the same bytes every time.
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return (try? encoder.encode(Body(errors: [Entry(code: code.rawValue, message: message)]))) ?? Data()
    }
}
