import BerthAPI
import Foundation

/// The CLI's calls to berthd's Engine API.
struct API {
    let client: UnixHTTPClient

    static func connect() throws -> API { API(client: try DaemonConnection.client()) }

    /// Sends a request under the current API version prefix; non-2xx answers become
    /// "Error response from daemon: …".
    func call(_ method: String, _ path: String, query: [(String, String)] = [], headers: [(String, String)] = [], body: RequestBodySource = .none) throws -> HTTPResponse {
        let resp = try client.send(method: method, path: "/v\(APIVersion.current)\(path)", query: query, headers: headers, body: body)
        guard (200..<300).contains(resp.status) else {
            let data = (try? resp.readAll()) ?? Data()
            let msg = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["message"] as? String
                ?? String(decoding: data, as: UTF8.self)
            throw CLIError("Error response from daemon: \(msg.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return resp
    }

    /// A JSON answer.
    func json(_ method: String, _ path: String, query: [(String, String)] = []) throws -> Any {
        let resp = try call(method, path, query: query)
        let data = try resp.readAll()
        if data.isEmpty { return NSNull() }
        return try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    }

    /// Reads a JSON message stream (load, import, pull), calling `line` per message; an
    /// in-band error ends it with that error.
    func stream(_ resp: HTTPResponse, _ line: ([String: Any]) throws -> Void) throws {
        var buffer = Data()
        func drain(final: Bool) throws {
            while let nl = buffer.firstIndex(of: 0x0a) ?? (final && !buffer.isEmpty ? buffer.endIndex : nil) {
                let lineData = buffer[buffer.startIndex..<nl]
                buffer = nl < buffer.endIndex ? Data(buffer[(nl + 1)...]) : Data()
                let trimmed = lineData.filter { $0 != 0x0d }
                guard !trimmed.isEmpty, let obj = try? JSONSerialization.jsonObject(with: trimmed) as? [String: Any] else { continue }
                if let err = obj["error"] as? String { throw CLIError(err) }
                try line(obj)
            }
        }
        while let chunk = try resp.readChunk() {
            buffer.append(chunk)
            try drain(final: false)
        }
        try drain(final: true)
    }

    /// `filters` query JSON in the CLI's map-of-maps shape.
    static func filtersQuery(_ filters: [String]) throws -> (String, String)? {
        guard !filters.isEmpty else { return nil }
        var map: [String: [String: Bool]] = [:]
        for f in filters {
            let p = f.split(separator: "=", maxSplits: 1).map(String.init)
            guard p.count == 2, !p[0].isEmpty else { throw CLIError("invalid filter \"\(f)\": expected key=value, e.g. dangling=true") }
            map[p[0], default: [:]][p[1]] = true
        }
        let data = try JSONSerialization.data(withJSONObject: map, options: [.sortedKeys])
        return ("filters", String(decoding: data, as: UTF8.self))
    }
}
