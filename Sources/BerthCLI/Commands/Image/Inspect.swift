import BerthAPI
import ArgumentParser
import Foundation

/// `berth inspect` / `berth image inspect`.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Return low-level information on Berth objects")

    @Argument(help: "Containers or images to inspect") var names: [String]
    @Option(name: .shortAndLong, help: "Format output using a Go template, or 'json'") var format: String?
    @Option(help: "Only inspect objects of this type (container, image, volume)") var type: String?

    func run() throws {
        if let type, !["image", "container", "volume"].contains(type) {
            throw CLIError("inspect --type \(type): berth can inspect containers, images and volumes")
        }
        guard !names.isEmpty else { throw CLIError("inspect needs at least one name") }
        let api = try API.connect()
        var found: [Any] = []
        var errors: [String] = []
        for n in names {
            // Like docker: a container of that name first, then an image, then a volume.
            var lastError = "No such object: \(n)"
            var hit: Any?
            for kind in type.map({ [$0] }) ?? ["container", "image", "volume"] {
                do {
                    hit = try api.json("GET", kind == "volume" ? "/volumes/\(n)" : "/\(kind)s/\(n)/json")
                    break
                } catch let e as CLIError {
                    if type != nil { lastError = e.message.replacingOccurrences(of: "Error response from daemon: ", with: "") }
                }
            }
            if let hit { found.append(hit) } else { errors.append(lastError) }
        }
        if let format, format != "json" {
            try Output.render(found.compactMap { $0 as? [String: Any] }, format: format, headers: [:])
        } else {
            try Output.printJSON(found)
        }
        if !errors.isEmpty {
            throw CLIError("Error: " + errors.joined(separator: "\nError: "))
        }
    }
}

/// `berth history`.
struct History: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "Show the history of an image")

    @Argument(help: "Image") var image: String
    @Option(name: [.customShort("H"), .long], help: "Print sizes and dates in human readable format") var human = true
    @Flag(help: "Don't truncate output") var noTrunc = false
    @Flag(name: .shortAndLong, help: "Only show image IDs") var quiet = false
    @Option(help: "Format output using a Go template") var format: String?

    func run() throws {
        let api = try API.connect()
        let items = try api.json("GET", "/images/\(image)/history") as? [[String: Any]] ?? []
        if quiet {
            for i in items { print(Output.shortID(i["Id"] as? String ?? "", noTrunc: noTrunc)) }
            return
        }
        let rows: [[String: Any]] = items.map { i in
            let id = i["Id"] as? String ?? ""
            let created = (i["Created"] as? NSNumber)?.doubleValue ?? 0
            var by = (i["CreatedBy"] as? String ?? "").replacingOccurrences(of: "\t", with: " ")
            if !noTrunc && by.count > 45 { by = String(by.prefix(44)) + "…" }
            let size = (i["Size"] as? NSNumber)?.int64Value ?? 0
            return ["ID": id == "<missing>" ? id : Output.shortID(id, noTrunc: noTrunc),
                    "CreatedSince": human ? Output.ago(created) : Date(timeIntervalSince1970: created).description,
                    "CreatedBy": by, "Size": human ? HumanUnits.size(size) : "\(size)", "Comment": i["Comment"] as? String ?? ""]
        }
        try Output.render(rows, format: format ?? "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}",
                          headers: ["ID": "IMAGE", "CreatedSince": "CREATED", "CreatedBy": "CREATED BY", "Size": "SIZE", "Comment": "COMMENT"])
    }
}
