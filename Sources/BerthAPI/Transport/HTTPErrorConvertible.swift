/// An error that knows the HTTP status and message a handler failure should produce.
///
/// When a handler throws one of these before writing a response head, the server answers with
/// `httpStatus` and the body `{"message": httpMessage}`, which is what Docker clients print and act on
/// (404 → pull and retry, 409 → conflict, 304 → no-op). Any other error becomes a 500.
public protocol HTTPErrorConvertible: Error {
    /// The status code of the error response.
    var httpStatus: Int { get }
    /// The text placed in the `message` field of the JSON error body.
    var httpMessage: String { get }
}
