import ArgumentParser
import BerthCompose
import Foundation

/// `berth compose ps`: the project's containers, docker compose's columns.
struct ComposePs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "List containers")

    @OptionGroup var project: ComposeProjectFlags
    @Flag(name: .shortAndLong, help: "Show all stopped containers") var all = false
    @Flag(name: .shortAndLong, help: "Only display IDs") var quiet = false
    @Flag(help: "Display services") var services = false
    @Option(help: "Format the output: table (default), json, or a Go template") var format: String?
    @Argument(help: "Services to list (default: all)") var only: [String] = []

    func run() throws {
        let (name, _) = try project.nameOnly()
        let engine = ComposeEngine(api: try API.connect(), project: name)
        let list = try engine.containers(all: all).filter { c in
            let labels = ComposeEngine.labels(c)
            return labels[ComposeLabel.oneoff] != "True" && (only.isEmpty || only.contains(labels[ComposeLabel.service] ?? ""))
        }.sorted { ComposeEngine.name($0) < ComposeEngine.name($1) }
        if quiet {
            for c in list { print(c["Id"] as? String ?? "") }
            return
        }
        if services {
            for s in Set(list.compactMap { ComposeEngine.labels($0)[ComposeLabel.service] }).sorted() { print(s) }
            return
        }
        let rows: [[String: Any]] = list.map { c in
            let labels = ComposeEngine.labels(c)
            let created = (c["Created"] as? NSNumber)?.doubleValue ?? 0
            return ["ID": c["Id"] as? String ?? "", "Name": ComposeEngine.name(c), "Image": c["Image"] as? String ?? "",
                    "Command": "\"\(c["Command"] as? String ?? "")\"", "Project": labels[ComposeLabel.project] ?? "",
                    "Service": labels[ComposeLabel.service] ?? "", "RunningFor": Output.ago(created), "CreatedAt": Date(timeIntervalSince1970: created).description,
                    "State": c["State"] as? String ?? "", "Status": c["Status"] as? String ?? "",
                    "Ports": PS.ports(c["Ports"] as? [[String: Any]] ?? []), "Labels": labels.map { "\($0)=\($1)" }.sorted().joined(separator: ",")]
        }
        try Output.render(rows, format: format ?? "table {{.Name}}\t{{.Image}}\t{{.Command}}\t{{.Service}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}",
                          headers: ["ID": "ID", "Name": "NAME", "Image": "IMAGE", "Command": "COMMAND", "Project": "PROJECT", "Service": "SERVICE",
                                    "RunningFor": "CREATED", "CreatedAt": "CREATED AT", "State": "STATE", "Status": "STATUS", "Ports": "PORTS", "Labels": "LABELS"])
    }
}
