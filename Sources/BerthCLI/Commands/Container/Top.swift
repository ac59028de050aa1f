import ArgumentParser
import Foundation

/// `berth top CONTAINER [ps OPTIONS]`: the container's processes, as the host's `ps` shows them.
struct Top: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "top", abstract: "Display the running processes of a container")
    @Argument(parsing: .captureForPassthrough, help: "CONTAINER [ps OPTIONS]") var containerAndOptions: [String] = []

    func run() throws {
        guard let container = containerAndOptions.first else {
            throw CLIError("\"berth top\" requires at least 1 argument: berth top CONTAINER [ps OPTIONS]")
        }
        let psArgs = containerAndOptions.dropFirst().joined(separator: " ")
        let query = psArgs.isEmpty ? [] : [("ps_args", psArgs)]
        let list = try API.connect().json("GET", "/containers/\(container)/top", query: query) as? [String: Any] ?? [:]
        var text = (list["Titles"] as? [String] ?? []).joined(separator: "\t") + "\n"
        for process in list["Processes"] as? [[String]] ?? [] { text += process.joined(separator: "\t") + "\n" }
        // docker/cli: tabwriter.NewWriter(out, 20, 1, 3, ' ', 0).
        FileHandle.standardOutput.write(Data(TabWriter.align(text, minWidth: 20, padding: 3).utf8))
    }
}
