import ArgumentParser

/// `berth unpause`: thaws paused containers.
struct Unpause: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unpause", abstract: "Unpause all processes within one or more containers")
    @Argument(help: "Containers") var containers: [String]

    func run() throws {
        try forEachContainer(containers) { api, c in
            _ = try api.call("POST", "/containers/\(c)/unpause")
        }
    }
}
