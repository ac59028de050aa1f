extension CgroupV2 {
    /// memory.current/peak/max/stat, cpu.stat (usage and throttling, µs → ns), pids, io.stat.
    /// Files of controllers that are not enabled read as zero, as in Docker.
    func stats() throws(CgroupError) -> CgroupStats {
        guard exists() else { throw CgroupError(.notFound, "no cgroup \(path) under \(root)") }
        let number = { (file: String) in CgroupStatParser.number(CgroupFS.value("\(dir)/\(file)")) }
        let keyValues = { (file: String) in CgroupStatParser.keyValues((try? CgroupFS.read("\(dir)/\(file)")) ?? "") }
        var stats = CgroupStats()

        stats.memoryStats.usage = number("memory.current") ?? 0
        stats.memoryStats.maxUsage = number("memory.peak")
        stats.memoryStats.limit = CgroupHost.cappedMemoryLimit(number("memory.max").flatMap { $0 == .max ? nil : $0 })
        stats.memoryStats.stats = keyValues("memory.stat")

        let cpu = keyValues("cpu.stat")
        stats.cpuStats.cpuUsage.totalUsage = (cpu["usage_usec"] ?? 0) * 1000
        stats.cpuStats.cpuUsage.usageInUsermode = (cpu["user_usec"] ?? 0) * 1000
        stats.cpuStats.cpuUsage.usageInKernelmode = (cpu["system_usec"] ?? 0) * 1000
        stats.cpuStats.throttlingData.periods = cpu["nr_periods"] ?? 0
        stats.cpuStats.throttlingData.throttledPeriods = cpu["nr_throttled"] ?? 0
        stats.cpuStats.throttlingData.throttledTime = (cpu["throttled_usec"] ?? 0) * 1000
        stats.cpuStats.systemCpuUsage = CgroupHost.systemCPUUsage()
        stats.cpuStats.onlineCpus = CgroupHost.onlineCPUs()

        stats.pidsStats.current = number("pids.current") ?? 0
        stats.pidsStats.limit = number("pids.max").flatMap { $0 == .max ? nil : $0 }

        if let io = try? CgroupFS.read("\(dir)/io.stat") {
            let parsed = CgroupStatParser.ioV2(io)
            stats.blkioStats.ioServiceBytesRecursive = parsed.bytes
            stats.blkioStats.ioServicedRecursive = parsed.ios
        }
        return stats
    }

    /// `oom_kill` in `memory.events` (0 without the memory controller).
    func oomKillCount() -> Int {
        guard let text = try? CgroupFS.read("\(dir)/memory.events") else { return 0 }
        return Int(clamping: CgroupStatParser.keyValues(text)["oom_kill"] ?? 0)
    }
}
