import Foundation

/// A response received by `UnixHTTPClient`: status and headers at once, the body streamed on demand.
///
/// Read the body with `readChunk()`, `readLine()` (NDJSON progress, events) or `readAll()`. Once the
/// body has been read to its end the connection goes back to the client for reuse; dropping the
/// response earlier closes it.
public final class HTTPResponse {
    enum Framing {
        case none
        case length(remaining: Int)
        case chunked(remainingInChunk: Int)
        case untilClose
    }

    /// The status code.
    public let status: Int
    /// The reason phrase (`OK`, `UPGRADED`...).
    public let reason: String
    /// Header fields in the order received.
    public let headers: [(String, String)]

    private var connection: UnixSocket?
    private var framing: Framing
    private let keepAlive: Bool
    private let client: UnixHTTPClient
    private var pendingLine = Data()

    init(status: Int, reason: String, headers: [(String, String)], framing: Framing, keepAlive: Bool,
                 connection: UnixSocket, client: UnixHTTPClient) {
        self.status = status
        self.reason = reason
        self.headers = headers
        self.framing = framing
        self.keepAlive = keepAlive
        self.connection = connection
        self.client = client
        if case .none = framing { finishBody() }
    }

    /// The first value of header `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.0.lowercased() == wanted }?.1
    }

    /// The next piece of the body as it arrives (one HTTP chunk, or up to 64 KiB), nil at its end.
    public func readChunk() throws -> Data? {
        if !pendingLine.isEmpty {
            defer { pendingLine = Data() }
            return pendingLine
        }
        return try readFromWire()
    }

    /// The next line of the body without its `\n` (or `\r\n`); the last line may lack one. Nil at the end.
    public func readLine() throws -> Data? {
        while true {
            if let newline = pendingLine.firstIndex(of: UInt8(ascii: "\n")) {
                var line = pendingLine[pendingLine.startIndex..<newline]
                if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
                pendingLine = Data(pendingLine[(newline + 1)...])
                return Data(line)
            }
            guard let more = try readFromWire() else {
                guard !pendingLine.isEmpty else { return nil }
                defer { pendingLine = Data() }
                return pendingLine
            }
            pendingLine.append(more)
        }
    }

    /// The rest of the body.
    public func readAll() throws -> Data {
        var all = Data()
        while let piece = try readChunk() { all.append(piece) }
        return all
    }

    /// Takes the raw connection after a `101 UPGRADED` (or legacy `200`) hijack response.
    public func hijack() throws -> HijackedConnection {
        guard let connection else { throw TransportError.connectionClosed }
        self.connection = nil
        let (fd, buffered) = connection.detach()
        return HijackedConnection(fd: fd, buffered: buffered)
    }

    /// Abandons the rest of the body and closes the connection (e.g. to stop following logs).
    public func close() {
        connection?.close()
        connection = nil
    }

    private func readFromWire() throws -> Data? {
        guard let connection else { return nil }
        switch framing {
        case .none:
            return nil
        case .untilClose:
            guard let data = try connection.read(upTo: 64 * 1024) else {
                finishBody()
                return nil
            }
            return data
        case .length(let remaining):
            guard let data = try connection.read(upTo: min(remaining, 64 * 1024)) else {
                throw TransportError.connectionClosed
            }
            framing = .length(remaining: remaining - data.count)
            if remaining == data.count { finishBody() }
            return data
        case .chunked(let remainingInChunk):
            return try readChunked(connection, remainingInChunk: remainingInChunk)
        }
    }

    private func readChunked(_ connection: UnixSocket, remainingInChunk: Int) throws -> Data? {
        var remaining = remainingInChunk
        if remaining == 0 {
            guard let sizeLine = try connection.readLine() else { throw TransportError.connectionClosed }
            let digits = sizeLine.prefix { $0 != ";" }.trimmingCharacters(in: .whitespaces)
            guard let size = Int(digits, radix: 16), size >= 0 else {
                throw TransportError.malformedMessage("bad chunk size \(sizeLine)")
            }
            if size == 0 {
                while let trailer = try connection.readLine(), !trailer.isEmpty {}
                finishBody()
                return nil
            }
            remaining = size
        }
        guard let data = try connection.read(upTo: min(remaining, 64 * 1024)) else {
            throw TransportError.connectionClosed
        }
        remaining -= data.count
        if remaining == 0 {
            guard try connection.readLine() == "" else { throw TransportError.malformedMessage("chunk not followed by CRLF") }
        }
        framing = .chunked(remainingInChunk: remaining)
        return data
    }

    /// The body is complete: hand the connection back if it can carry another request.
    private func finishBody() {
        framing = .none
        guard let connection, status != 101 else { return }
        self.connection = nil
        if keepAlive && !connection.hasBufferedBytes {
            client.release(connection.detach().fd)
        }
    }
}
