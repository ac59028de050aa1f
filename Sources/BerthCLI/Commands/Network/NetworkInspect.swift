import ArgumentParser
import Foundation

/// `berth network inspect`.
struct NetworkInspect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Display detailed information on one or more networks")

    @Option(name: .shortAndLong, help: "Format output using a Go template, or 'json'") var format: String?
    @Argument(help: "Networks") var names: [String]

    func run() throws {
        let api = try API.connect()
        var found: [[String: Any]] = []
        var errors: [String] = []
        for n in names {
            do {
                if let v = try api.json("GET", "/networks/\(n)") as? [String: Any] { found.append(v) }
            } catch let e as CLIError {
                errors.append(e.message)
            }
        }
        if let format, format != "json" {
            try Output.render(found, format: format, headers: [:])
        } else {
            try Output.printJSON(found)
        }
        if !errors.isEmpty { throw CLIError(errors.joined(separator: "\n")) }
    }
}
