import ArgumentParser
import Foundation

/// `berth network prune`.
struct NetworkPrune: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove all unused networks")

    @Flag(name: .shortAndLong, help: "Do not prompt for confirmation") var force = false
    @Option(help: "Provide filter values (e.g. 'label=<key>=<value>')") var filter: [String] = []

    func run() throws {
        if !force {
            print("WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ", terminator: "")
            guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else { return }
        }
        var q: [(String, String)] = []
        if let f = try API.filtersQuery(filter) { q.append(f) }
        let r = try API.connect().json("POST", "/networks/prune", query: q) as? [String: Any] ?? [:]
        let names = r["NetworksDeleted"] as? [String] ?? []
        if !names.isEmpty { print("Deleted Networks:\n" + names.joined(separator: "\n")) }
    }
}
