import BerthAPI
import Foundation

/// Docker's ways of printing sizes, ages, ids and rows.
enum Output {
    /// go-units BytesSize: binary units, 4 significant digits ("332KiB", "23.54GiB").
    static func bytesSize(_ bytes: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"]
        var size = bytes
        var i = 0
        while size >= 1024 && i < units.count - 1 {
            size /= 1024
            i += 1
        }
        return String(format: "%.4g", size) + units[i]
    }

    static func ago(_ unix: Double) -> String {
        HumanUnits.duration(Date().timeIntervalSince1970 - unix) + " ago"
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
    /// `inspect` of named objects (`path(name)` for each): the found ones printed as a JSON
    /// array or through `format`, then every lookup's error, as docker does.
    static func inspectEach(_ names: [String], format: String?, path: (String) -> String) throws {
        let api = try API.connect()
        var found: [[String: Any]] = []
        var errors: [String] = []
        for name in names {
            do {
                if let v = try api.json("GET", path(name)) as? [String: Any] { found.append(v) }
            } catch let e as CLIError {
                errors.append(e.message)
            }
        }
        if let format, format != "json" {
            try render(found, format: format, headers: [:])
        } else {
            try printJSON(found)
        }
        if !errors.isEmpty { throw CLIError(errors.joined(separator: "\n")) }
    }

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
