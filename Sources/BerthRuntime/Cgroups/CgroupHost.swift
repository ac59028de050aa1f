import Glibc

/// Host-wide numbers Docker's stats carry next to the cgroup's own.
enum CgroupHost {
    /// `sysconf(_SC_NPROCESSORS_ONLN)`.
    static func onlineCPUs() -> UInt32 {
        UInt32(clamping: sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }

    /// Host CPU time in nanoseconds: the first seven fields of /proc/stat's `cpu` line
    /// (user … softirq), as Docker sums them.
    static func systemCPUUsage() -> UInt64 {
        guard let text = try? CgroupFS.read("/proc/stat"),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") })
        else { return 0 }
        let ticks = line.split(separator: " ").dropFirst().prefix(7).compactMap { UInt64($0) }.reduce(0, +)
        return ticks * 1_000_000_000 / clockTicks()
    }

    /// USER_HZ, the unit of /proc/stat and cpuacct.stat.
    static func clockTicks() -> UInt64 {
        let hz = sysconf(Int32(_SC_CLK_TCK))
        return hz > 0 ? UInt64(hz) : 100
    }

    /// MemTotal from /proc/meminfo in bytes (0 when unreadable).
    static func memoryTotal() -> UInt64 {
        guard let text = try? CgroupFS.read("/proc/meminfo"),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal:") })
        else { return 0 }
        let kib = line.split(separator: " ").dropFirst().first.flatMap { UInt64($0) } ?? 0
        return kib * 1024
    }

    /// The CPUs the kernel has online, the fallback when no cgroup cpuset says otherwise.
    static func onlineCPUList() -> CgroupCPUList {
        CgroupFS.value("/sys/devices/system/cpu/online").flatMap { CgroupCPUList(parsing: $0) }
            ?? CgroupCPUList(Set(0..<Int(max(1, onlineCPUs()))))
    }

    /// Docker's memory limit: the cgroup's, capped at the host's memory.
    static func cappedMemoryLimit(_ limit: UInt64?) -> UInt64 {
        let total = memoryTotal()
        guard let limit else { return total }
        return total > 0 ? min(limit, total) : limit
    }
}
