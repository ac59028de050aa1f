import Foundation

extension HTTPResponse {
    /// Reads a response head from `connection`, skipping interim `1xx` responses other than 101.
    /// - Parameter reusable: false when the request could not be sent whole, so the connection must not be reused.
    static func read(
        from connection: UnixSocket, method: String, client: UnixHTTPClient, reusable: Bool = true
    ) throws -> HTTPResponse {
        while true {
            guard let statusLine = try connection.readLine() else { throw TransportError.connectionClosed }
            let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else {
                throw TransportError.malformedMessage("bad status line \(statusLine)")
            }
            var headers: [(String, String)] = []
            while true {
                guard let line = try connection.readLine() else { throw TransportError.connectionClosed }
                if line.isEmpty { break }
                guard let colon = line.firstIndex(of: ":") else { throw TransportError.malformedMessage("bad header \(line)") }
                headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            }
            if (100..<200).contains(status) && status != 101 { continue }
            func value(_ name: String) -> String? { headers.first { $0.0.lowercased() == name }?.1 }
            let framing: Framing
            if method == "HEAD" || (100..<200).contains(status) || status == 204 || status == 304 {
                framing = .none
            } else if value("transfer-encoding")?.lowercased().contains("chunked") == true {
                framing = .chunked(remainingInChunk: 0)
            } else if let length = value("content-length").flatMap({ Int($0) }) {
                framing = length > 0 ? .length(remaining: length) : .none
            } else {
                framing = .untilClose
            }
            let closeRequested = value("connection")?.lowercased().contains("close") == true
            let untilClose: Bool
            if case .untilClose = framing { untilClose = true } else { untilClose = false }
            let keepAlive = reusable && parts[0] == "HTTP/1.1" && !closeRequested && !untilClose
            return HTTPResponse(
                status: status,
                reason: parts.count > 2 ? String(parts[2]) : "",
                headers: headers,
                framing: framing,
                keepAlive: keepAlive,
                connection: connection,
                client: client
            )
        }
    }
}
