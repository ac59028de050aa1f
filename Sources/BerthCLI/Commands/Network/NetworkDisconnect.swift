import ArgumentParser
import Foundation

/// `berth network disconnect`.
struct NetworkDisconnect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "disconnect", abstract: "Disconnect a container from a network")

    @Flag(name: .shortAndLong, help: "Force the container to disconnect from a network") var force = false
    @Argument(help: "Network") var network: String
    @Argument(help: "Container") var container: String

    func run() throws {
        _ = try NetworkGroup.post("/networks/\(network)/disconnect", ["Container": container, "Force": force])
    }
}
