import ArgumentParser
import Foundation

/// `berth search [--limit N] [-f FILTER] [--no-trunc] [--format F] [HOST:PORT/]TERM`.
struct Search: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "search", abstract: "Search a registry for images (HOST:PORT/TERM searches that registry's catalog)")

    @Option(help: "Max number of search results") var limit: Int?
    @Option(name: .shortAndLong, help: "Filter output based on conditions provided (is-official=, is-automated=, stars=)") var filter: [String] = []
    @Flag(help: "Don't truncate output") var noTrunc = false
    @Option(help: "Pretty-print search using a Go template") var format: String?
    @Argument(help: "TERM, or HOST:PORT/TERM") var term: String

    func run() throws {
        var query = [("term", term)]
        if let limit { query.append(("limit", String(limit))) }
        if let f = try API.filtersQuery(filter) { query.append(f) }
        let domain = term.split(separator: "/", maxSplits: 1).count == 2 ? String(term.split(separator: "/")[0]) : "docker.io"
        let auth = try DockerConfig.load().registryAuthHeader(for: domain)
        let resp = try API.connect().call("GET", "/images/search", query: query, headers: [("X-Registry-Auth", auth)])
        let results = (try JSONSerialization.jsonObject(with: resp.readAll()) as? [[String: Any]]) ?? []
        let rows: [[String: Any]] = results.map { r in
            var description = (r["description"] as? String ?? "").replacingOccurrences(of: "\n", with: " ")
            if !noTrunc, description.count > 45 { description = String(description.prefix(44)) + "…" }
            return ["Name": r["name"] as? String ?? "", "Description": description, "StarCount": String(r["star_count"] as? Int ?? 0),
                    "IsOfficial": (r["is_official"] as? Bool ?? false) ? "[OK]" : "", "IsAutomated": (r["is_automated"] as? Bool ?? false) ? "[OK]" : ""]
        }
        try Output.render(rows, format: format ?? "table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}\t{{.IsAutomated}}", headers: [
            "Name": "NAME", "Description": "DESCRIPTION", "StarCount": "STARS", "IsOfficial": "OFFICIAL", "IsAutomated": "AUTOMATED",
        ])
    }
}
