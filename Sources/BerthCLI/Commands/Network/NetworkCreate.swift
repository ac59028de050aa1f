import ArgumentParser
import Foundation

/// `berth network create`.
struct NetworkCreate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a network")

    @Option(name: .shortAndLong, help: "Driver to manage the Network (bridge)") var driver = "bridge"
    @Option(help: "Subnet in CIDR format that represents a network segment") var subnet: [String] = []
    @Option(help: "IPv4 Gateway for the master subnet") var gateway: [String] = []
    @Option(help: "Allocate container ip from a sub-range") var ipRange: [String] = []
    @Flag(help: "Restrict external access to the network") var `internal` = false
    @Flag(help: "Enable manual container attachment") var attachable = false
    @Flag(help: "Enable IPv6 networking") var ipv6 = false
    @Option(help: "Set metadata on a network") var label: [String] = []
    @Option(name: .shortAndLong, help: "Set driver specific options") var opt: [String] = []
    @Argument(help: "Network name") var name: String

    func run() throws {
        guard gateway.count <= subnet.count, ipRange.count <= subnet.count else {
            throw CLIError("every --gateway and --ip-range needs a --subnet")
        }
        let config: [[String: Any]] = subnet.enumerated().map { i, s in
            var c: [String: Any] = ["Subnet": s]
            if i < gateway.count { c["Gateway"] = gateway[i] }
            if i < ipRange.count { c["IPRange"] = ipRange[i] }
            return c
        }
        let body: [String: Any] = [
            "Name": name, "Driver": driver, "Internal": `internal`, "Attachable": attachable, "EnableIPv6": ipv6,
            "Labels": VolumeGroup.keyValues(label), "Options": VolumeGroup.keyValues(opt), "CheckDuplicate": true,
            "IPAM": ["Driver": "default", "Options": [String: String](), "Config": config],
        ]
        let r = try NetworkGroup.post("/networks/create", body) as? [String: Any] ?? [:]
        print(r["Id"] as? String ?? "")
    }
}
