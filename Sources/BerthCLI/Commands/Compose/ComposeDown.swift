import ArgumentParser
import BerthCompose
import Foundation

/// `berth compose down`: the project's containers stopped and removed (dependents first), then
/// its networks; with `-v` its named volumes too.
struct ComposeDown: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "down", abstract: "Stop and remove containers, networks")

    @OptionGroup var project: ComposeProjectFlags
    @Flag(name: .shortAndLong, help: "Remove named volumes declared in the volumes section and anonymous volumes attached to containers") var volumes = false
    @Flag(help: "Remove containers for services not defined in the compose file") var removeOrphans = false
    @Option(name: .shortAndLong, help: "Specify a shutdown timeout in seconds") var timeout: Int?

    func run() throws {
        let (name, loaded) = try project.nameOnly()
        let engine = ComposeEngine(api: try API.connect(), project: name)
        // Dependents before what they depend on: the reverse of the start order.
        let order = (try? loaded?.startOrder()) ?? nil
        let rank = Dictionary(uniqueKeysWithValues: (order ?? []).enumerated().map { ($1, $0) })
        // Without files (`-p NAME` alone) every container of the project goes, as docker's does.
        var orphans: [String] = []
        let containers = try engine.containers().filter { c in
            guard let loaded, !removeOrphans, loaded.isOrphan(service: ComposeEngine.labels(c)[ComposeLabel.service]) else { return true }
            orphans.append(ComposeEngine.name(c))
            return false
        }.sorted {
            let a = rank[ComposeEngine.labels($0)[ComposeLabel.service] ?? ""] ?? Int.max
            let b = rank[ComposeEngine.labels($1)[ComposeLabel.service] ?? ""] ?? Int.max
            return a != b ? a > b : ComposeEngine.name($0) < ComposeEngine.name($1)
        }
        for c in containers {
            guard let id = c["Id"] as? String else { continue }
            let cname = ComposeEngine.name(c)
            if c["State"] as? String == "running" {
                ComposeEngine.progress("Container", cname, "Stopping")
                try engine.stop(id, timeout: timeout)
                ComposeEngine.progress("Container", cname, "Stopped")
            }
            _ = try engine.api.call("DELETE", "/containers/\(id)", query: volumes ? [("v", "1"), ("force", "1")] : [("force", "1")])
            ComposeEngine.progress("Container", cname, "Removed")
        }
        if !orphans.isEmpty {
            FileHandle.standardError.write(Data("WARN: Found orphan containers (\(orphans.sorted().joined(separator: ", "))) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.\n".utf8))
        }
        for n in try engine.networks().sorted(by: { ($0["Name"] as? String ?? "") < ($1["Name"] as? String ?? "") }) {
            guard let id = n["Id"] as? String else { continue }
            do {
                _ = try engine.api.call("DELETE", "/networks/\(id)")
            } catch let e as CLIError where !orphans.isEmpty {
                // An orphan left on it keeps the network; docker compose goes on too.
                ComposeEngine.progress("Network", n["Name"] as? String ?? id, "Error: \(e.message)")
                continue
            }
            ComposeEngine.progress("Network", n["Name"] as? String ?? id, "Removed")
        }
        if volumes {
            for v in try engine.volumes() {
                guard let vname = v["Name"] as? String else { continue }
                _ = try engine.api.call("DELETE", "/volumes/\(vname)")
                ComposeEngine.progress("Volume", vname, "Removed")
            }
        }
    }
}
