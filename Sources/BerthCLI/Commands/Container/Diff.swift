import ArgumentParser
import Foundation

/// `berth diff CONTAINER`: what the container added (A), changed (C) and deleted (D).
struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "diff", abstract: "Inspect changes to files or directories on a container's filesystem")
    @Argument(help: "Container") var container: String

    func run() throws {
        let changes = try API.connect().json("GET", "/containers/\(container)/changes") as? [[String: Any]] ?? []
        var out = ""
        for change in changes {
            let letter = ["C", "A", "D"][safe: change["Kind"] as? Int ?? -1] ?? "?"
            out += "\(letter) \(change["Path"] as? String ?? "")\n"
        }
        FileHandle.standardOutput.write(Data(out.utf8))
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
