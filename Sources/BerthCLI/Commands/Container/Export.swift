import ArgumentParser
import Foundation
import Glibc

/// `berth export [-o FILE] CONTAINER`: the container's filesystem as a tar.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Export a container's filesystem as a tar archive")
    @Option(name: .shortAndLong, help: "Write to a file, instead of STDOUT") var output: String?
    @Argument(help: "Container") var container: String

    func run() throws {
        if output == nil && isatty(1) != 0 {
            throw CLIError("cowardly refusing to save to a terminal. Use the -o flag or redirect")
        }
        let resp = try API.connect().call("GET", "/containers/\(container)/export")
        try Save.write(resp, to: output)
    }
}
