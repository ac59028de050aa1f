import BerthEngine
import BerthRuntime
import Foundation

/// Docker's stats object (`GET /containers/{id}/stats`) from berthd's readings.
enum StatsJSON {
    /// The block I/O lists Docker always carries; berthd fills the first two.
    static let blkioKeys = [
        "io_service_bytes_recursive", "io_serviced_recursive", "io_queue_recursive", "io_service_time_recursive",
        "io_wait_time_recursive", "io_merged_recursive", "io_time_recursive", "sectors_recursive",
    ]

    /// A reading, with `precpu_stats` and `preread` from the one before (zero for the first
    /// object of a stream, as in Docker).
    static func object(_ r: ContainerRecord, _ s: StatsSample, previous: StatsSample?) -> [String: Any] {
        var o = ContainerJSON.object(s.cgroup)
        var blkio = o["blkio_stats"] as? [String: Any] ?? [:]
        for key in blkioKeys where blkio[key] == nil { blkio[key] = [Any]() }
        o["blkio_stats"] = blkio
        o["read"] = GoTime.format(s.read)
        o["preread"] = previous.map { GoTime.format($0.read) } ?? ContainerJSON.zeroTime
        o["precpu_stats"] = ContainerJSON.object(previous?.cgroup.cpuStats ?? CgroupStats.CPU())
        o["num_procs"] = 0
        o["storage_stats"] = [String: Any]()
        o["networks"] = s.networks
        o["name"] = "/" + r.name
        o["id"] = r.id
        return o
    }

    /// What Docker answers for a container that is not running: zeros, its name and id.
    static func empty(_ r: ContainerRecord) -> [String: Any] {
        let cpu = ContainerJSON.object(CgroupStats.CPU())
        return [
            "read": ContainerJSON.zeroTime, "preread": ContainerJSON.zeroTime, "pids_stats": [String: Any](),
            "blkio_stats": Dictionary(uniqueKeysWithValues: blkioKeys.map { ($0, NSNull() as Any) }),
            "num_procs": 0, "storage_stats": [String: Any](), "cpu_stats": cpu, "precpu_stats": cpu,
            "memory_stats": [String: Any](), "name": "/" + r.name, "id": r.id,
        ]
    }
}
