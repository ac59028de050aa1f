import BerthRuntime
import Foundation

/// One reading of a running container for `stats`: its cgroup's counters and those of the
/// network interfaces in its namespace.
public struct StatsSample: Sendable {
    public let read: Date
    public let cgroup: CgroupStats
    /// Docker's `networks`: per interface, loopback left out; none with `--network host`,
    /// whose interfaces are the host's.
    public let networks: [String: [String: UInt64]]

    /// The counters of /proc/<pid>/net/dev under Docker's names.
    static func networks(pid: Int32) -> [String: [String: UInt64]] {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/net/dev", encoding: .utf8) else { return [:] }
        var out: [String: [String: UInt64]] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            let n = line[line.index(after: colon)...].split(separator: " ").compactMap { UInt64($0) }
            guard name != "lo", n.count >= 12 else { continue }
            out[name] = ["rx_bytes": n[0], "rx_packets": n[1], "rx_errors": n[2], "rx_dropped": n[3],
                         "tx_bytes": n[8], "tx_packets": n[9], "tx_errors": n[10], "tx_dropped": n[11]]
        }
        return out
    }
}
