import Foundation

/// What a test reads about host processes from /proc and /sys.
enum HostProcess {
    /// The processes of the cgroup `pid` is in (the pids hierarchy on v1, the unified one on v2).
    static func cgroupProcs(_ pid: Int32) -> [Int32] {
        let lines = read("/proc/\(pid)/cgroup").split(separator: "\n").map(String.init)
        let dir: String
        if let v1 = lines.first(where: { $0.contains(":pids:") }) {
            dir = "/sys/fs/cgroup/pids" + (v1.split(separator: ":", maxSplits: 2).last.map(String.init) ?? "")
        } else {
            dir = "/sys/fs/cgroup" + (lines.first { $0.hasPrefix("0::") }.map { String($0.dropFirst(3)) } ?? "")
        }
        return read("\(dir)/cgroup.procs").split(separator: "\n").compactMap { Int32($0) }
    }

    static func read(_ path: String) -> String {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Exists and is not a zombie.
    static func alive(_ pid: Int32) -> Bool {
        let stat = read("/proc/\(pid)/stat")
        guard let close = stat.lastIndex(of: ")") else { return false }
        return !stat[close...].hasPrefix(") Z")
    }

    /// Whether this test process holds capability `bit` in its effective set.
    static func hasCapability(_ bit: Int) -> Bool {
        let line = read("/proc/self/status").split(separator: "\n").first { $0.hasPrefix("CapEff:") } ?? ""
        let mask = UInt64(line.split(separator: "\t").last ?? "", radix: 16) ?? 0
        return mask & (1 << UInt64(bit)) != 0
    }
}
