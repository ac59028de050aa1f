import Foundation

/// Docker's ways of printing sizes, ages, ids and rows.
enum Output {
    /// go-units HumanSizeWithPrecision(size, 3): decimal units, 3 significant digits ("4.26MB").
    static func humanSize(_ bytes: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"]
        var size = Double(bytes)
        var i = 0
        while size >= 1000 && i < units.count - 1 {
            size /= 1000
            i += 1
        }
        return String(format: "%.3g", size) + units[i]
    }

    /// go-units HumanDuration: "Less than a second", "About a minute", "3 weeks".
    static func humanDuration(_ seconds: Double) -> String {
        let s = Int(seconds)
        if s < 1 { return "Less than a second" }
        if s == 1 { return "1 second" }
        if s < 60 { return "\(s) seconds" }
        let m = Int(seconds / 60)
        if m == 1 { return "About a minute" }
        if m < 60 { return "\(m) minutes" }
        let h = Int(seconds / 3600 + 0.5)
        if h == 1 { return "About an hour" }
        if h < 48 { return "\(h) hours" }
        if h < 24 * 7 * 2 { return "\(h / 24) days" }
        if h < 24 * 30 * 2 { return "\(h / 24 / 7) weeks" }
        if h < 24 * 365 * 2 { return "\(h / 24 / 30) months" }
        return "\(Int(seconds / 3600 / 24 / 365)) years"
    }

    static func ago(_ unix: Double) -> String {
        humanDuration(Date().timeIntervalSince1970 - unix) + " ago"
    }

    /// `sha256:abc…` → `abc…` (12 hex digits) unless `noTrunc`.
    static func shortID(_ id: String, noTrunc: Bool) -> String {
        if noTrunc { return id }
        let hex = id.hasPrefix("sha256:") ? String(id.dropFirst(7)) : id
        return String(hex.prefix(12))
    }

    /// Renders rows with a Go template (`--format`), or `table …` with headers and aligned columns.
    static func render(_ rows: [[String: Any]], format: String, headers: [String: String]) throws {
        var out = ""
        if format == "json" {
            for r in rows { out += String(decoding: try JSONSerialization.data(withJSONObject: r, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self) + "\n" }
        } else {
            do {
                out = try TableFormat(format, headers: headers).render(rows.map { TemplateValue(json: $0) })
            } catch {
                throw CLIError("template: \(error)")
            }
        }
        // `print` buffers when stdout is a pipe; what it printed before must come out first
        // (fflush(NULL) flushes every stream, without touching the global `stdout`).
        fflush(nil)
        FileHandle.standardOutput.write(Data(out.utf8))
    }

    /// JSON like `docker inspect`: an indented array.
    static func printJSON(_ value: Any) throws {
        let data = try JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        // Foundation indents by 2; Docker by 4.
        let text = String(decoding: data, as: UTF8.self).components(separatedBy: "\n").map { line -> String in
            let n = line.prefix { $0 == " " }.count
            return String(repeating: " ", count: n * 2) + line.dropFirst(n)
        }.joined(separator: "\n")
        print(text)
    }
}
