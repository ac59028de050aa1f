import ArgumentParser
import Foundation

/// `berth network ls`.
struct NetworkLs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List networks", aliases: ["list"])

    @Flag(name: .shortAndLong, help: "Only display network IDs") var quiet = false
    @Flag(help: "Do not truncate the output") var noTrunc = false
    @Option(name: .shortAndLong, help: "Provide filter values (e.g. 'driver=bridge')") var filter: [String] = []
    @Option(help: "Format output using a Go template, or 'table', or 'json'") var format: String?

    func run() throws {
        var query: [(String, String)] = []
        if let f = try API.filtersQuery(filter) { query.append(f) }
        let list = (try API.connect().json("GET", "/networks", query: query) as? [[String: Any]] ?? [])
            .sorted { ($0["Name"] as? String ?? "") < ($1["Name"] as? String ?? "") }
        if quiet {
            for n in list { print(Output.shortID(n["Id"] as? String ?? "", noTrunc: noTrunc)) }
            return
        }
        let rows: [[String: Any]] = list.map { n in
            let labels = (n["Labels"] as? [String: String] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            return ["ID": Output.shortID(n["Id"] as? String ?? "", noTrunc: noTrunc), "Name": n["Name"] as? String ?? "",
                    "Driver": n["Driver"] as? String ?? "", "Scope": n["Scope"] as? String ?? "", "IPv6": "\(n["EnableIPv6"] as? Bool ?? false)",
                    "Internal": "\(n["Internal"] as? Bool ?? false)", "Labels": labels.joined(separator: ","), "CreatedAt": n["Created"] as? String ?? ""]
        }
        try Output.render(rows, format: format ?? "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}", headers: [
            "ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Scope": "SCOPE", "IPv6": "IPV6", "Internal": "INTERNAL",
            "Labels": "LABELS", "CreatedAt": "CREATED AT",
        ])
    }
}
