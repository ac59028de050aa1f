import BerthAPI
import BerthOCI
import Foundation
import NIOCore

/// The HTML page at `/`: every repository with its tags, image sizes, last push and pull counts.
extension RegistryHandler {
    func servePage(_ writer: ResponseWriter) async throws -> Outcome {
        var rows: [RepositoryRow] = []
        for name in storage.repositories() {
            rows.append(RepositoryRow(name: name, tags: storage.tags(name) ?? [], stats: await stats.of(name)))
        }
        let html = renderPage(rows)
        try await writer.respond(status: 200, headers: [("Content-Type", "text/html; charset=utf-8")], body: ByteBuffer(string: html))
        return Outcome(status: 200, bytes: Int64(html.utf8.count))
    }

    struct RepositoryRow {
        var name: String
        var tags: [String]
        var stats: RegistryStats.Repository
    }

    /// The bytes an image of `manifest` takes: its config and layers (an index: its largest child).
    func imageSize(_ name: String, _ stored: StoredManifest) -> Int64 {
        switch try? ImageDocument.decode(stored.data) {
        case .manifest(let manifest):
            return manifest.config.size + manifest.layers.reduce(0) { $0 + $1.size }
        case .index(let index):
            return index.manifests.compactMap { child in
                (try? storage.manifest(name, reference: child.digest.description)).map { imageSize(name, $0) }
            }.max() ?? 0
        case nil:
            return 0
        }
    }

    func renderPage(_ rows: [RepositoryRow]) -> String {
        var body = ""
        for row in rows {
            let pulls = row.stats.pulls.values.reduce(0, +)
            body += "<section><h2>\(escape(row.name))</h2><p class=\"meta\">\(row.tags.count) tag\(row.tags.count == 1 ? "" : "s"), \(pulls) pull\(pulls == 1 ? "" : "s")</p>\n"
            body += "<table><thead><tr><th>Tag</th><th>Digest</th><th>Size</th><th>Last push</th><th>Pulls</th></tr></thead><tbody>\n"
            for tag in row.tags {
                guard let stored = try? storage.manifest(row.name, reference: tag) else { continue }
                let pushed = row.stats.pushed[tag].map { Date(timeIntervalSince1970: $0).formatted(.iso8601) } ?? "-"
                let size = HumanUnits.size(imageSize(row.name, stored))
                body += "<tr><td><code>\(escape(tag))</code></td><td><code title=\"\(escape(stored.digest.description))\">\(escape(stored.digest.short))</code></td>"
                body += "<td>\(escape(size))</td><td>\(escape(pushed))</td><td>\(row.stats.pulls[tag] ?? 0)</td></tr>\n"
            }
            body += "</tbody></table></section>\n"
        }
        if rows.isEmpty { body = "<p>No repositories yet. Push one with <code>berth push HOST:PORT/name:tag</code>.</p>" }
        return """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Berth registry</title>
        <style>
        body{font-family:system-ui,sans-serif;margin:2em auto;max-width:60em;padding:0 1em;color:#222}
        h1{font-size:1.6em}h2{font-size:1.2em;margin-bottom:.2em}.meta{color:#666;margin-top:0}
        table{border-collapse:collapse;width:100%;margin-bottom:1.5em}th,td{text-align:left;padding:.3em .6em;border-bottom:1px solid #ddd}
        th{background:#f4f4f4}code{font-size:.95em}
        </style></head><body>
        <h1>Berth registry</h1>
        <p class="meta">\(rows.count) repositor\(rows.count == 1 ? "y" : "ies")</p>
        \(body)
        </body></html>

        """
    }

    /// HTML-escapes text for element content and attribute values.
    func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
