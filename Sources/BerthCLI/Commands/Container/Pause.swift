import ArgumentParser

/// `berth pause`: freezes every process of the containers.
struct Pause: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Pause all processes within one or more containers")
    @Argument(help: "Containers") var containers: [String]

    func run() throws {
        try forEachContainer(containers) { api, c in
            _ = try api.call("POST", "/containers/\(c)/pause")
        }
    }
}
