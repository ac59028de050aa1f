import ArgumentParser
import Foundation

/// Runs `body` for each container, printing its name on success like docker, and fails at the end
/// if any failed.
func forEachContainer(_ names: [String], printName: Bool = true, _ body: (API, String) throws -> Void) throws {
    let api = try API.connect()
    var failed: [String] = []
    for n in names {
        do {
            try body(api, n)
            if printName { print(n) }
        } catch let e as CLIError { failed.append(e.message) }
    }
    if !failed.isEmpty { throw CLIError(failed.joined(separator: "\n")) }
}

/// `berth stop`.
struct Stop: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop one or more running containers")
    @Option(name: [.customShort("t"), .customLong("time"), .customLong("timeout")], help: "Seconds to wait before killing the container") var time: Int?
    @Option(name: .shortAndLong, help: "Signal to send to the container") var signal: String?
    @Argument var containers: [String]

    func run() throws {
        if signal != nil { throw CLIError("stop --signal is not supported by berth yet; use --stop-signal at create, or berth kill -s") }
        try forEachContainer(containers) { api, c in
            _ = try api.call("POST", "/containers/\(c)/stop", query: time.map { [("t", "\($0)")] } ?? [])
        }
    }
}

/// `berth restart`.
struct Restart: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restart", abstract: "Restart one or more containers")
    @Option(name: [.customShort("t"), .customLong("time"), .customLong("timeout")], help: "Seconds to wait before killing the container") var time: Int?
    @Argument var containers: [String]

    func run() throws {
        try forEachContainer(containers) { api, c in
            _ = try api.call("POST", "/containers/\(c)/restart", query: time.map { [("t", "\($0)")] } ?? [])
        }
    }
}

/// `berth kill`.
struct Kill: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kill", abstract: "Kill one or more running containers")
    @Option(name: .shortAndLong, help: "Signal to send to the container") var signal: String?
    @Argument var containers: [String]

    func run() throws {
        try forEachContainer(containers) { api, c in
            _ = try api.call("POST", "/containers/\(c)/kill", query: signal.map { [("signal", $0)] } ?? [])
        }
    }
}

/// `berth rm`.
struct Rm: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove one or more containers", aliases: ["remove"])
    @Flag(name: .shortAndLong, help: "Force the removal of a running container (uses SIGKILL)") var force = false
    @Flag(name: .shortAndLong, help: "Remove anonymous volumes associated with the container") var volumes = false
    @Argument var containers: [String]

    func run() throws {
        try forEachContainer(containers) { api, c in
            var q: [(String, String)] = []
            if force { q.append(("force", "1")) }
            if volumes { q.append(("v", "1")) }
            _ = try api.call("DELETE", "/containers/\(c)", query: q)
        }
    }
}

/// `berth wait`.
struct Wait: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "wait", abstract: "Block until one or more containers stop, then print their exit codes")
    @Argument var containers: [String]

    func run() throws {
        try forEachContainer(containers, printName: false) { api, c in
            let obj = try JSONSerialization.jsonObject(with: try api.call("POST", "/containers/\(c)/wait").readAll()) as? [String: Any] ?? [:]
            print((obj["StatusCode"] as? NSNumber)?.intValue ?? -1)
        }
    }
}

/// `berth rename`.
struct Rename: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rename", abstract: "Rename a container")
    @Argument var container: String
    @Argument var newName: String

    func run() throws {
        _ = try API.connect().call("POST", "/containers/\(container)/rename", query: [("name", newName)])
    }
}

/// `berth container prune`.
struct ContainerPrune: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove all stopped containers")
    @Flag(name: .shortAndLong, help: "Do not prompt for confirmation") var force = false

    func run() throws {
        if !force {
            print("WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ", terminator: "")
            guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else { return }
        }
        let r = try API.connect().json("POST", "/containers/prune") as? [String: Any] ?? [:]
        let ids = r["ContainersDeleted"] as? [String] ?? []
        if !ids.isEmpty { print("Deleted Containers:\n" + ids.joined(separator: "\n") + "\n") }
        print("Total reclaimed space: 0B")
    }
}

/// `berth container …`.
struct ContainerGroup: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "container", abstract: "Manage containers",
        subcommands: [PS.self, Run.self, Create.self, Start.self, Attach.self, Port.self, Exec.self, Stop.self, Restart.self, Kill.self, Rm.self, Wait.self,
                      Rename.self, Logs.self, Inspect.self, ContainerPrune.self, Pause.self, Unpause.self, Stats.self, Top.self,
                      Update.self, Cp.self, Diff.self, Export.self, Commit.self])
}
