import ArgumentParser
import Foundation

/// `berth network inspect`.
struct NetworkInspect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Display detailed information on one or more networks")

    @Option(name: .shortAndLong, help: "Format output using a Go template, or 'json'") var format: String?
    // Docker's verbose adds swarm services and peers, which a local network has none of.
    @Flag(name: .shortAndLong, help: "Verbose output for diagnostics (the same for local networks)") var verbose = false
    @Argument(help: "Networks") var names: [String]

    func run() throws {
        try Output.inspectEach(names, format: format) { "/networks/\($0)" }
    }
}
