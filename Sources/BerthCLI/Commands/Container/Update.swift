import ArgumentParser
import Foundation

/// `berth update`: changes the resources (live, in the container's cgroup) and restart policy.
struct Update: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "update", abstract: "Update configuration of one or more containers")
    @Option(name: .shortAndLong, help: "Memory limit (e.g. 512m)") var memory: String?
    @Option(parsing: .unconditional, help: "Swap limit equal to memory plus swap: -1 to enable unlimited swap") var memorySwap: String?
    @Option(help: "Number of CPUs") var cpus: Double?
    @Option(name: [.customShort("c"), .long], help: "CPU shares (relative weight)") var cpuShares: Int64?
    @Option(help: "Limit CPU CFS (Completely Fair Scheduler) period") var cpuPeriod: Int64?
    @Option(help: "Limit CPU CFS (Completely Fair Scheduler) quota") var cpuQuota: Int64?
    @Option(help: "CPUs in which to allow execution (0-3, 0,1)") var cpusetCpus: String?
    @Option(parsing: .unconditional, help: "Tune container pids limit (set -1 for unlimited)") var pidsLimit: Int64?
    @Option(help: "Restart policy to apply when a container exits") var restart: String?
    @Argument(help: "Containers") var containers: [String]

    func run() throws {
        var body: [String: Any] = [:]
        if let memory { body["Memory"] = try ContainerOptions.bytes(memory, flag: "--memory") }
        if let memorySwap { body["MemorySwap"] = memorySwap == "-1" ? -1 : try ContainerOptions.bytes(memorySwap, flag: "--memory-swap") }
        if let cpus { body["NanoCpus"] = Int64((cpus * 1e9).rounded()) }
        if let cpuShares { body["CpuShares"] = cpuShares }
        if let cpuPeriod { body["CpuPeriod"] = cpuPeriod }
        if let cpuQuota { body["CpuQuota"] = cpuQuota }
        if let cpusetCpus { body["CpusetCpus"] = cpusetCpus }
        if let pidsLimit { body["PidsLimit"] = pidsLimit }
        if let restart { body["RestartPolicy"] = try RestartPolicyFlag.parse(restart) }
        guard !body.isEmpty else { throw CLIError("you must provide one or more flags when using this command") }
        let data = try JSONSerialization.data(withJSONObject: body)
        var warnings: [String] = []
        try forEachContainer(containers) { api, c in
            let resp = try api.call("POST", "/containers/\(c)/update", headers: [("Content-Type", "application/json")], body: .data(data))
            let answer = try JSONSerialization.jsonObject(with: try resp.readAll()) as? [String: Any]
            warnings += answer?["Warnings"] as? [String] ?? []
        }
        if !warnings.isEmpty { print(warnings.joined(separator: "\n")) }
    }
}
