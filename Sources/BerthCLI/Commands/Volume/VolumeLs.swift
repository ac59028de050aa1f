import ArgumentParser
import Foundation

/// `berth volume ls`.
struct VolumeLs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List volumes", aliases: ["list"])

    @Flag(name: .shortAndLong, help: "Only display volume names") var quiet = false
    @Option(name: .shortAndLong, help: "Provide filter values (dangling=true|false, driver=, label=k[=v], name=)") var filter: [String] = []
    @Option(help: "Format output using a Go template, or 'table', or 'json'") var format: String?

    func run() throws {
        var query: [(String, String)] = []
        if let f = try API.filtersQuery(filter) { query.append(f) }
        let r = try API.connect().json("GET", "/volumes", query: query) as? [String: Any] ?? [:]
        let volumes = (r["Volumes"] as? [[String: Any]] ?? []).sorted { ($0["Name"] as? String ?? "") < ($1["Name"] as? String ?? "") }
        if quiet {
            for v in volumes { print(v["Name"] as? String ?? "") }
            return
        }
        let rows: [[String: Any]] = volumes.map { v in
            let labels = (v["Labels"] as? [String: String] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            return ["Name": v["Name"] as? String ?? "", "Driver": v["Driver"] as? String ?? "", "Scope": v["Scope"] as? String ?? "",
                    "Mountpoint": v["Mountpoint"] as? String ?? "", "Labels": labels.joined(separator: ","),
                    "CreatedAt": v["CreatedAt"] as? String ?? "", "Links": "N/A", "Size": "N/A"]
        }
        try Output.render(rows, format: format ?? "table {{.Driver}}\t{{.Name}}", headers: [
            "Name": "VOLUME NAME", "Driver": "DRIVER", "Scope": "SCOPE", "Mountpoint": "MOUNTPOINT", "Labels": "LABELS",
            "CreatedAt": "CREATED", "Links": "LINKS", "Size": "SIZE",
        ])
    }
}
