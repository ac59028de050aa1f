import ArgumentParser
import Foundation

/// `berth network inspect`.
struct NetworkInspect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Display detailed information on one or more networks")

    @Option(name: .shortAndLong, help: "Format output using a Go template, or 'json'") var format: String?
    @Argument(help: "Networks") var names: [String]

    func run() throws {
        try Output.inspectEach(names, format: format) { "/networks/\($0)" }
    }
}
