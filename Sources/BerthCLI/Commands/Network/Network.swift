import ArgumentParser
import Foundation

/// `berth network …`.
struct NetworkGroup: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "network", abstract: "Manage networks",
        subcommands: [NetworkCreate.self, NetworkLs.self, NetworkInspect.self, NetworkRm.self, NetworkPrune.self,
                      NetworkConnect.self, NetworkDisconnect.self])

    /// POSTs a JSON body and returns the parsed answer (nil when the body is empty).
    static func post(_ path: String, _ body: [String: Any]) throws -> Any? {
        let data = try JSONSerialization.data(withJSONObject: body)
        let resp = try API.connect().call("POST", path, headers: [("Content-Type", "application/json")], body: .data(data))
        let bytes = try resp.readAll()
        return bytes.isEmpty ? nil : try? JSONSerialization.jsonObject(with: bytes)
    }
}

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

/// `berth network ls`.
struct NetworkLs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List networks", aliases: ["list"])

    @Flag(name: .shortAndLong, help: "Only display network IDs") var quiet = false
    @Flag(help: "Do not truncate the output") var noTrunc = false
    @Option(name: .shortAndLong, help: "Provide filter values (e.g. 'driver=bridge')") var filter: [String] = []
    @Option(help: "Format output using a Go template, or 'table', or 'json'") var format: String?

    func run() throws {
        var query: [(String, String)] = []
        if let f = try API.filtersQuery(filter) { query.append(f) }
        let list = (try API.connect().json("GET", "/networks", query: query) as? [[String: Any]] ?? [])
            .sorted { ($0["Name"] as? String ?? "") < ($1["Name"] as? String ?? "") }
        if quiet {
            for n in list { print(Output.shortID(n["Id"] as? String ?? "", noTrunc: noTrunc)) }
            return
        }
        let rows: [[String: Any]] = list.map { n in
            let labels = (n["Labels"] as? [String: String] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            return ["ID": Output.shortID(n["Id"] as? String ?? "", noTrunc: noTrunc), "Name": n["Name"] as? String ?? "",
                    "Driver": n["Driver"] as? String ?? "", "Scope": n["Scope"] as? String ?? "", "IPv6": "\(n["EnableIPv6"] as? Bool ?? false)",
                    "Internal": "\(n["Internal"] as? Bool ?? false)", "Labels": labels.joined(separator: ","), "CreatedAt": n["Created"] as? String ?? ""]
        }
        try Output.render(rows, format: format ?? "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}", headers: [
            "ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Scope": "SCOPE", "IPv6": "IPV6", "Internal": "INTERNAL",
            "Labels": "LABELS", "CreatedAt": "CREATED AT",
        ])
    }
}

/// `berth network inspect`.
struct NetworkInspect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Display detailed information on one or more networks")

    @Option(name: .shortAndLong, help: "Format output using a Go template, or 'json'") var format: String?
    @Argument(help: "Networks") var names: [String]

    func run() throws {
        let api = try API.connect()
        var found: [[String: Any]] = []
        var errors: [String] = []
        for n in names {
            do {
                if let v = try api.json("GET", "/networks/\(n)") as? [String: Any] { found.append(v) }
            } catch let e as CLIError {
                errors.append(e.message)
            }
        }
        if let format, format != "json" {
            try Output.render(found, format: format, headers: [:])
        } else {
            try Output.printJSON(found)
        }
        if !errors.isEmpty { throw CLIError(errors.joined(separator: "\n")) }
    }
}

/// `berth network rm`.
struct NetworkRm: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove one or more networks", aliases: ["remove"])

    @Flag(name: .shortAndLong, help: "Do not error if the network does not exist") var force = false
    @Argument(help: "Networks") var names: [String]

    func run() throws {
        let api = try API.connect()
        var failed: [String] = []
        for n in names {
            do {
                _ = try api.call("DELETE", "/networks/\(n)")
                print(n)
            } catch let e as CLIError {
                if force && e.message.contains("not found") { continue }
                failed.append(e.message)
            }
        }
        if !failed.isEmpty { throw CLIError(failed.joined(separator: "\n")) }
    }
}

/// `berth network prune`.
struct NetworkPrune: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove all unused networks")

    @Flag(name: .shortAndLong, help: "Do not prompt for confirmation") var force = false
    @Option(help: "Provide filter values (e.g. 'label=<key>=<value>')") var filter: [String] = []

    func run() throws {
        if !force {
            print("WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ", terminator: "")
            guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else { return }
        }
        var q: [(String, String)] = []
        if let f = try API.filtersQuery(filter) { q.append(f) }
        let r = try API.connect().json("POST", "/networks/prune", query: q) as? [String: Any] ?? [:]
        let names = r["NetworksDeleted"] as? [String] ?? []
        if !names.isEmpty { print("Deleted Networks:\n" + names.joined(separator: "\n")) }
    }
}

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
