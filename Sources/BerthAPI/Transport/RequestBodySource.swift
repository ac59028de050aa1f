import Foundation

/// Where a client request's body comes from.
public enum RequestBodySource {
    /// No body.
    case none
    /// A body known in full, sent with `Content-Length`.
    case data(Data)
    /// A body read from a file or pipe until EOF and sent chunked (stdin, a big tar);
    /// `progress` hears the bytes sent so far.
    case stream(FileHandle, progress: ((Int64) -> Void)? = nil)

    /// Whether the body can be sent again on a fresh connection.
    var isReplayable: Bool {
        if case .stream = self { return false }
        return true
    }
}
