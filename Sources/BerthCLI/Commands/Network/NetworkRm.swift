import ArgumentParser
import Foundation

/// `berth network rm`.
struct NetworkRm: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove one or more networks", aliases: ["remove"])

    @Flag(name: .shortAndLong, help: "Do not error if the network does not exist") var force = false
    @Argument(help: "Networks") var names: [String]

    func run() throws {
        let api = try API.connect()
        var failed: [String] = []
        for n in names {
            do {
                _ = try api.call("DELETE", "/networks/\(n)")
                print(n)
            } catch let e as CLIError {
                if force && e.message.contains("not found") { continue }
                failed.append(e.message)
            }
        }
        if !failed.isEmpty { throw CLIError(failed.joined(separator: "\n")) }
    }
}
