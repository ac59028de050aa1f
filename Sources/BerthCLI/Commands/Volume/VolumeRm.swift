import ArgumentParser
import Foundation

/// `berth volume rm`.
struct VolumeRm: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove one or more volumes", aliases: ["remove"])

    @Flag(name: .shortAndLong, help: "Do not fail when a volume does not exist (a volume in use is still refused)") var force = false
    @Argument(help: "Volumes") var names: [String]

    func run() throws {
        let api = try API.connect()
        var failed: [String] = []
        for n in names {
            do {
                _ = try api.call("DELETE", "/volumes/\(n)", query: force ? [("force", "1")] : [])
                print(n)
            } catch let e as CLIError {
                failed.append(e.message)
            }
        }
        if !failed.isEmpty { throw CLIError(failed.joined(separator: "\n")) }
    }
}
