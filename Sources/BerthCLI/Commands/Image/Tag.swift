import BerthAPI
import ArgumentParser
import BerthOCI
import Foundation

/// `berth tag SOURCE TARGET`.
struct Tag: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tag", abstract: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE")

    @Argument(help: "SOURCE_IMAGE[:TAG]") var source: String
    @Argument(help: "TARGET_IMAGE[:TAG]") var target: String

    func run() throws {
        let ref = try Reference(parsing: target)
        guard ref.digest == nil else { throw CLIError("refusing to create a tag with a digest reference: \(target)") }
        var query = [("repo", ref.repository)]
        if let t = ref.tag { query.append(("tag", t)) }
        _ = try API.connect().call("POST", "/images/\(source)/tag", query: query)
    }
}

/// `berth rmi` / `berth image rm`.
struct Rmi: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rmi", abstract: "Remove one or more images", aliases: ["rm", "remove"])

    @Argument(help: "Images") var images: [String]
    @Flag(name: .shortAndLong, help: "Force removal of the image") var force = false
    @Flag(help: "Do not delete untagged parents") var noPrune = false

    func run() throws {
        guard !images.isEmpty else { throw CLIError("rmi needs at least one image") }
        let api = try API.connect()
        var failed: [String] = []
        for img in images {
            do {
                var q: [(String, String)] = []
                if force { q.append(("force", "1")) }
                if noPrune { q.append(("noprune", "1")) }
                let items = try api.json("DELETE", "/images/\(img)", query: q) as? [[String: String]] ?? []
                for i in items {
                    if let u = i["Untagged"] { print("Untagged: \(u)") }
                    if let d = i["Deleted"] { print("Deleted: \(d)") }
                }
            } catch let e as CLIError {
                failed.append(e.message)
            }
        }
        if !failed.isEmpty { throw CLIError(failed.joined(separator: "\n")) }
    }
}

/// `berth image prune`.
struct ImagePrune: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove unused images")

    @Flag(name: .shortAndLong, help: "Remove all unused images, not just dangling ones") var all = false
    @Flag(name: .shortAndLong, help: "Do not prompt for confirmation") var force = false
    @Option(help: "Provide filter values (e.g. 'label=<key>=<value>')") var filter: [String] = []

    func run() throws {
        if !force {
            let what = all ? "all images without at least one container associated to them" : "all dangling images"
            print("WARNING! This will remove \(what).\nAre you sure you want to continue? [y/N] ", terminator: "")
            guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else { return }
        }
        var filters = filter
        if all { filters.append("dangling=false") }
        var q: [(String, String)] = []
        if let f = try API.filtersQuery(filters) { q.append(f) }
        let r = try API.connect().json("POST", "/images/prune", query: q) as? [String: Any] ?? [:]
        let items = r["ImagesDeleted"] as? [[String: String]] ?? []
        if !items.isEmpty {
            print("Deleted Images:")
            for i in items {
                if let u = i["Untagged"] { print("untagged: \(u)") }
                if let d = i["Deleted"] { print("deleted: \(d)") }
            }
            print("")
        }
        print("Total reclaimed space: \(HumanUnits.size((r["SpaceReclaimed"] as? NSNumber)?.int64Value ?? 0))")
    }
}
