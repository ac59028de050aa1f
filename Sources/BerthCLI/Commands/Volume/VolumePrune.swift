import BerthAPI
import ArgumentParser
import Foundation

/// `berth volume prune`: unused anonymous volumes, or with `-a` every unused volume.
struct VolumePrune: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove unused local volumes")

    @Flag(name: .shortAndLong, help: "Remove all unused volumes, not just anonymous ones") var all = false
    @Flag(name: .shortAndLong, help: "Do not prompt for confirmation") var force = false
    @Option(help: "Provide filter values (e.g. 'label=<key>=<value>', 'label!=<key>')") var filter: [String] = []

    func run() throws {
        if !force {
            let what = all ? "all local volumes" : "anonymous local volumes"
            print("WARNING! This will remove \(what) not used by at least one container.\nAre you sure you want to continue? [y/N] ", terminator: "")
            guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else { return }
        }
        var filters = filter
        if all { filters.append("all=true") }
        var q: [(String, String)] = []
        if let f = try API.filtersQuery(filters) { q.append(f) }
        let r = try API.connect().json("POST", "/volumes/prune", query: q) as? [String: Any] ?? [:]
        let names = r["VolumesDeleted"] as? [String] ?? []
        if !names.isEmpty { print("Deleted Volumes:\n" + names.joined(separator: "\n") + "\n") }
        print("Total reclaimed space: \(HumanUnits.size((r["SpaceReclaimed"] as? NSNumber)?.int64Value ?? 0))")
    }
}
