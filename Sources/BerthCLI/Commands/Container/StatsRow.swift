import BerthAPI
import Foundation

/// One line of `berth stats`: a stats object turned into what the docker CLI shows, with its
/// arithmetic (CPU % from the deltas to `precpu_stats`, memory without the inactive page cache).
struct StatsRow: Sendable {
    /// The container as the user named it (or its short id when listing all).
    var container: String
    var id = ""
    var name = ""
    var cpuPercent = 0.0
    var memory = 0.0
    var memoryLimit = 0.0
    var memoryPercent = 0.0
    var networkRx = 0.0
    var networkTx = 0.0
    var blockRead = 0.0
    var blockWrite = 0.0
    var pids: UInt64 = 0
    /// Why no reading came (the row then shows `--`).
    var error: String?

    init(container: String) { self.container = container }

    init(container: String, stats o: [String: Any]) {
        self.container = container
        id = o["id"] as? String ?? ""
        name = o["name"] as? String ?? ""
        let cpu = o["cpu_stats"] as? [String: Any] ?? [:]
        let precpu = o["precpu_stats"] as? [String: Any] ?? [:]
        cpuPercent = Self.cpuPercent(cpu, previous: precpu)
        let mem = o["memory_stats"] as? [String: Any] ?? [:]
        let usage = Self.number(mem["usage"])
        let memStats = mem["stats"] as? [String: Any] ?? [:]
        // cgroup v1 keeps the page cache in total_inactive_file, v2 in inactive_file.
        if let inactive = memStats["total_inactive_file"].map(Self.number), inactive < usage {
            memory = usage - inactive
        } else if let inactive = memStats["inactive_file"].map(Self.number), inactive < usage {
            memory = usage - inactive
        } else {
            memory = usage
        }
        memoryLimit = Self.number(mem["limit"])
        memoryPercent = memoryLimit != 0 ? memory / memoryLimit * 100 : 0
        for case let net as [String: Any] in (o["networks"] as? [String: Any] ?? [:]).values {
            networkRx += Self.number(net["rx_bytes"])
            networkTx += Self.number(net["tx_bytes"])
        }
        let blkio = (o["blkio_stats"] as? [String: Any])?["io_service_bytes_recursive"] as? [[String: Any]] ?? []
        for entry in blkio {
            switch (entry["op"] as? String ?? "").lowercased() {
            case "read": blockRead += Self.number(entry["value"])
            case "write": blockWrite += Self.number(entry["value"])
            default: break
            }
        }
        pids = (((o["pids_stats"] as? [String: Any])?["current"]) as? NSNumber)?.uint64Value ?? 0
    }

    /// docker/cli's calculateCPUPercentUnix: container CPU time over host CPU time between the
    /// two readings, times the online CPUs.
    static func cpuPercent(_ cpu: [String: Any], previous: [String: Any]) -> Double {
        let usage = { (c: [String: Any]) in number((c["cpu_usage"] as? [String: Any])?["total_usage"]) }
        let cpuDelta = usage(cpu) - usage(previous)
        let systemDelta = number(cpu["system_cpu_usage"]) - number(previous["system_cpu_usage"])
        var online = number(cpu["online_cpus"])
        if online == 0 { online = Double(((cpu["cpu_usage"] as? [String: Any])?["percpu_usage"] as? [Any])?.count ?? 0) }
        guard systemDelta > 0, cpuDelta > 0 else { return 0 }
        return cpuDelta / systemDelta * online * 100
    }

    static func number(_ v: Any?) -> Double { (v as? NSNumber)?.doubleValue ?? 0 }

    /// The template's fields: `.Container .Name .ID .CPUPerc .MemUsage .MemPerc .NetIO .BlockIO .PIDs`.
    func fields(truncate: Bool) -> [String: Any] {
        let shownName = name.count > 1 ? String(name.dropFirst()) : "--"
        let shownID = truncate ? String(id.prefix(12)) : id
        guard error == nil else {
            return ["Container": container, "Name": shownName, "ID": shownID, "CPUPerc": "--", "MemUsage": "-- / --",
                    "MemPerc": "--", "NetIO": "--", "BlockIO": "--", "PIDs": "--"]
        }
        return [
            "Container": container, "Name": shownName, "ID": shownID,
            "CPUPerc": String(format: "%.2f%%", cpuPercent),
            "MemUsage": "\(Output.bytesSize(memory)) / \(Output.bytesSize(memoryLimit))",
            "MemPerc": String(format: "%.2f%%", memoryPercent),
            "NetIO": "\(HumanUnits.size(Int64(networkRx))) / \(HumanUnits.size(Int64(networkTx)))",
            "BlockIO": "\(HumanUnits.size(Int64(blockRead))) / \(HumanUnits.size(Int64(blockWrite)))",
            "PIDs": "\(pids)",
        ]
    }

    /// docker's headers for those fields.
    static let headers = [
        "Container": "CONTAINER", "Name": "NAME", "ID": "CONTAINER ID", "CPUPerc": "CPU %", "MemUsage": "MEM USAGE / LIMIT",
        "MemPerc": "MEM %", "NetIO": "NET I/O", "BlockIO": "BLOCK I/O", "PIDs": "PIDS",
    ]
    static let defaultFormat = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}"
}
