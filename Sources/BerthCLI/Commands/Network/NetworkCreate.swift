import ArgumentParser
import Foundation

/// `berth network create`.
struct NetworkCreate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a network")

    @Option(name: .shortAndLong, help: "Driver to manage the Network (bridge)") var driver = "bridge"
    @Option(help: "Subnet in CIDR format that represents a network segment") var subnet: [String] = []
    @Option(help: "IPv4 Gateway for the master subnet") var gateway: [String] = []
    @Option(help: "Allocate container ip from a sub-range") var ipRange: [String] = []
    @Option(help: "Auxiliary IPv4 addresses used by Network driver (name=ip), never given to a container") var auxAddress: [String] = []
    @Option(help: "IP Address Management Driver (default)") var ipamDriver = "default"
    @Option(help: "Set IPAM driver specific options (none are taken)") var ipamOpt: [String] = []
    @Option(help: "Control the network's scope (local)") var scope: String?
    @Flag(help: "Create swarm routing-mesh network (needs swarm: refused)") var ingress = false
    @Flag(help: "Create a configuration only network (needs swarm: refused)") var configOnly = false
    @Option(help: "The network from which to copy the configuration (refused)") var configFrom: String?
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
        guard auxAddress.isEmpty || !subnet.isEmpty else { throw CLIError("every --aux-address needs a --subnet") }
        let config: [[String: Any]] = subnet.enumerated().map { i, s in
            var c: [String: Any] = ["Subnet": s]
            if i < gateway.count { c["Gateway"] = gateway[i] }
            if i < ipRange.count { c["IPRange"] = ipRange[i] }
            if i == 0, !auxAddress.isEmpty { c["AuxiliaryAddresses"] = VolumeGroup.keyValues(auxAddress) }
            return c
        }
        var body: [String: Any] = [
            "Name": name, "Driver": driver, "Internal": `internal`, "Attachable": attachable, "EnableIPv6": ipv6,
            "Labels": VolumeGroup.keyValues(label), "Options": VolumeGroup.keyValues(opt), "CheckDuplicate": true,
            "IPAM": ["Driver": ipamDriver, "Options": VolumeGroup.keyValues(ipamOpt), "Config": config],
            "Ingress": ingress, "ConfigOnly": configOnly,
        ]
        if let scope { body["Scope"] = scope }
        if let configFrom { body["ConfigFrom"] = ["Network": configFrom] }
        let r = try NetworkGroup.post("/networks/create", body) as? [String: Any] ?? [:]
        print(r["Id"] as? String ?? "")
    }
}
