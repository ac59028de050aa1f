import ArgumentParser
import Foundation

/// `berth network connect`.
struct NetworkConnect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "connect", abstract: "Connect a container to a network")

    @Option(help: "Add network-scoped alias for the container") var alias: [String] = []
    @Option(help: "IPv4 address (e.g., 172.30.100.104)") var ip: String?
    @Option(help: "IPv6 address (e.g., 2001:db8::33): refused, berthd has no IPv6 yet") var ip6: String?
    @Option(help: "Add a link to another container (name[:alias]), in /etc/hosts from the next start") var link: [String] = []
    @Option(help: "Add a link-local address for the container: refused by berthd") var linkLocalIp: [String] = []
    @Option(help: "Driver options for the network (none are taken)") var driverOpt: [String] = []
    @Argument(help: "Network") var network: String
    @Argument(help: "Container") var container: String

    func run() throws {
        var endpoint: [String: Any] = [:]
        if !alias.isEmpty { endpoint["Aliases"] = alias }
        var ipam: [String: Any] = [:]
        if let ip { ipam["IPv4Address"] = ip }
        if let ip6 { ipam["IPv6Address"] = ip6 }
        if !linkLocalIp.isEmpty { ipam["LinkLocalIPs"] = linkLocalIp }
        if !ipam.isEmpty { endpoint["IPAMConfig"] = ipam }
        if !link.isEmpty { endpoint["Links"] = link }
        if !driverOpt.isEmpty { endpoint["DriverOpts"] = VolumeGroup.keyValues(driverOpt) }
        _ = try NetworkGroup.post("/networks/\(network)/connect", ["Container": container, "EndpointConfig": endpoint])
    }
}
