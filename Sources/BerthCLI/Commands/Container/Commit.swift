import ArgumentParser
import BerthOCI
import Foundation

/// `berth commit [-a -m -c -p] CONTAINER [REPOSITORY[:TAG]]`.
struct Commit: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "commit", abstract: "Create a new image from a container's changes")
    @Option(name: .shortAndLong, help: "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")") var author: String?
    @Option(name: .shortAndLong, help: "Apply Dockerfile instruction to the created image") var change: [String] = []
    @Option(name: .shortAndLong, help: "Commit message") var message: String?
    @Option(name: .shortAndLong, help: "Pause container during commit (true|false)") var pause: Bool = true
    @Argument(help: "Container") var container: String
    @Argument(help: "Name for the new image") var reference: String?

    func run() throws {
        var query: [(String, String)] = [("container", container)]
        if let reference {
            let ref = try Reference(parsing: reference)
            query.append(("repo", ref.repository))
            if let t = ref.tag { query.append(("tag", t)) }
        }
        if let author { query.append(("author", author)) }
        if let message { query.append(("comment", message)) }
        if !pause { query.append(("pause", "0")) }
        for c in change { query.append(("changes", c)) }
        let answer = try API.connect().json("POST", "/commit", query: query) as? [String: Any] ?? [:]
        print(answer["Id"] as? String ?? "")
    }
}
