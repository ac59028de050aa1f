import ArgumentParser
import Foundation

/// `berth volume inspect`.
struct VolumeInspect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Display detailed information on one or more volumes")

    @Option(name: .shortAndLong, help: "Format output using a Go template, or 'json'") var format: String?
    @Argument(help: "Volumes") var names: [String]

    func run() throws {
        try Output.inspectEach(names, format: format) { "/volumes/\($0)" }
    }
}
