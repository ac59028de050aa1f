import ArgumentParser
import BerthAPI
import Foundation

/// `berth events`: berthd's event stream, printed as docker prints it.
struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "events", abstract: "Get real time events from the server")

    @Option(help: "Show all events created since timestamp (RFC 3339, unix seconds, or relative like 10m)") var since: String?
    @Option(help: "Stream events until this timestamp") var until: String?
    @Option(name: .shortAndLong, help: "Filter output based on conditions provided (container=, event=, image=, label=, type=)") var filter: [String] = []
    @Option(help: "Format output using a Go template, or 'json'") var format: String?

    func run() throws {
        var query: [(String, String)] = []
        if let since { query.append(("since", try Logs.time(since))) }
        if let until { query.append(("until", try Logs.time(until))) }
        if let f = try API.filtersQuery(filter) { query.append(f) }
        let template = try format.map { f in
            do { return try TableFormat(f) } catch { throw CLIError("template: \(error)") }
        }
        let resp = try API.connect().call("GET", "/events", query: query)
        var buffer = Data()
        while let chunk = try resp.readChunk() {
            buffer.append(chunk)
            while let nl = buffer.firstIndex(of: 0x0a) {
                let line = buffer[buffer.startIndex..<nl]
                buffer = Data(buffer[(nl + 1)...])
                guard let event = try? JSONSerialization.jsonObject(with: line) as? [String: Any] else { continue }
                let text: String
                if let template {
                    do { text = try template.render([TemplateValue(json: event)]) } catch { throw CLIError("template: \(error)") }
                } else {
                    text = Self.pretty(event) + "\n"
                }
                FileHandle.standardOutput.write(Data(text.utf8))
            }
        }
    }

    /// docker's default line: `2026-11-24T05:00:00.123456789Z container start <id> (image=bb, name=web)`.
    static func pretty(_ e: [String: Any]) -> String {
        let nano = (e["timeNano"] as? NSNumber)?.int64Value ?? ((e["time"] as? NSNumber)?.int64Value ?? 0) * 1_000_000_000
        let actor = e["Actor"] as? [String: Any] ?? [:]
        var line = "\(timestamp(nano)) \(e["Type"] as? String ?? "") \(e["Action"] as? String ?? "") \(actor["ID"] as? String ?? "")"
        let attributes = actor["Attributes"] as? [String: String] ?? [:]
        if !attributes.isEmpty {
            line += " (" + attributes.keys.sorted().map { "\($0)=\(attributes[$0] ?? "")" }.joined(separator: ", ") + ")"
        }
        return line
    }

    /// Go's RFC3339NanoFixed in the local time zone (`Z` for UTC).
    static func timestamp(_ nano: Int64) -> String {
        let seconds = nano / 1_000_000_000, fraction = nano % 1_000_000_000
        let date = Date(timeIntervalSince1970: TimeInterval(seconds))
        let zone = TimeZone.current
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = zone
        f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        let offset = zone.secondsFromGMT(for: date)
        let suffix = offset == 0 ? "Z" : String(format: "%@%02d:%02d", offset < 0 ? "-" : "+", abs(offset) / 3600, abs(offset) % 3600 / 60)
        return f.string(from: date) + String(format: ".%09lld", fraction) + suffix
    }
}
