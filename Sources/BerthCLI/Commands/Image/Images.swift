import BerthAPI
import ArgumentParser
import Foundation

/// `berth images` / `berth image ls`.
struct Images: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "images", abstract: "List images", aliases: ["ls", "list"])

    @Argument(help: "Only images of this repository[:tag]") var repository: String?
    @Flag(name: .shortAndLong, help: "Show all images (default hides intermediate images)") var all = false
    @Flag(name: .shortAndLong, help: "Only show image IDs") var quiet = false
    @Flag(help: "Show digests") var digests = false
    @Flag(help: "Don't truncate output") var noTrunc = false
    @Option(name: .shortAndLong, help: "Filter output based on conditions provided (dangling, reference, label, before, since)") var filter: [String] = []
    @Option(help: "Format output using a Go template, or 'table', or 'json'") var format: String?

    func run() throws {
        let api = try API.connect()
        var filters = filter
        if let repository { filters.append("reference=\(repository)") }
        var query: [(String, String)] = []
        if all { query.append(("all", "1")) }
        if let f = try API.filtersQuery(filters) { query.append(f) }
        let images = try api.json("GET", "/images/json", query: query) as? [[String: Any]] ?? []
        if quiet {
            var seen = Set<String>()
            for img in images {
                let id = Output.shortID(img["Id"] as? String ?? "", noTrunc: noTrunc)
                if seen.insert(id).inserted { print(id) }
            }
            return
        }
        var rows: [[String: Any]] = []
        for img in images {
            let id = Output.shortID(img["Id"] as? String ?? "", noTrunc: noTrunc)
            let created = (img["Created"] as? NSNumber)?.doubleValue ?? 0
            let size = HumanUnits.size((img["Size"] as? NSNumber)?.int64Value ?? 0)
            let repoDigests = img["RepoDigests"] as? [String] ?? []
            let tags = (img["RepoTags"] as? [String] ?? []).filter { $0 != "<none>:<none>" }
            var entries: [(repo: String, tag: String)] = tags.map { t in
                let colon = t.lastIndex(of: ":").flatMap { t[$0...].contains("/") ? nil : $0 }
                return (colon.map { String(t[..<$0]) } ?? t, colon.map { String(t[t.index(after: $0)...]) } ?? "<none>")
            }
            // Like docker: a repository known only by digest (a pull by digest) gets a row with tag <none>.
            for d in repoDigests {
                let repo = String(d.split(separator: "@")[0])
                if !entries.contains(where: { $0.repo == repo }) { entries.append((repo, "<none>")) }
            }
            if entries.isEmpty { entries = [("<none>", "<none>")] }
            for (repo, tag) in entries {
                let digest = repoDigests.first { $0.hasPrefix(repo + "@") }.map { String($0.split(separator: "@")[1]) } ?? "<none>"
                rows.append(["ID": id, "Repository": repo, "Tag": tag, "Digest": digest, "CreatedSince": Output.ago(created),
                             "CreatedAt": Date(timeIntervalSince1970: created).description + " UTC", "Size": size,
                             "Containers": "N/A", "SharedSize": "N/A", "UniqueSize": "N/A", "VirtualSize": size])
            }
        }
        let defaultFormat = digests
            ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
            : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
        try Output.render(rows, format: format ?? defaultFormat, headers: [
            "ID": "IMAGE ID", "Repository": "REPOSITORY", "Tag": "TAG", "Digest": "DIGEST", "CreatedSince": "CREATED",
            "CreatedAt": "CREATED AT", "Size": "SIZE", "Containers": "CONTAINERS", "SharedSize": "SHARED SIZE",
            "UniqueSize": "UNIQUE SIZE", "VirtualSize": "VIRTUAL SIZE",
        ])
    }
}
