import ArgumentParser
import Foundation

/// `berth network connect`.
struct NetworkConnect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "connect", abstract: "Connect a container to a network")

    @Option(help: "Add network-scoped alias for the container") var alias: [String] = []
    @Option(help: "IPv4 address (e.g., 172.30.100.104)") var ip: String?
    @Argument(help: "Network") var network: String
    @Argument(help: "Container") var container: String

    func run() throws {
        var endpoint: [String: Any] = [:]
        if !alias.isEmpty { endpoint["Aliases"] = alias }
        if let ip { endpoint["IPAMConfig"] = ["IPv4Address": ip] }
        _ = try NetworkGroup.post("/networks/\(network)/connect", ["Container": container, "EndpointConfig": endpoint])
    }
}
