extension CgroupV1 {
    /// memory (usage, peak, limit, failcnt, memory.stat), cpuacct (total, per CPU, user/system),
    /// cpu (CFS throttling), pids, blkio (throttle layer: every bio of the cgroup).
    func stats() throws(CgroupError) -> CgroupStats {
        guard exists() else { throw CgroupError(.notFound, "no cgroup \(path) under \(root)") }
        var stats = CgroupStats()
        if let dir = dir("memory") {
            let read = { (file: String) in CgroupStatParser.number(CgroupFS.value("\(dir)/\(file)")) }
            stats.memoryStats.usage = read("memory.usage_in_bytes") ?? 0
            stats.memoryStats.maxUsage = read("memory.max_usage_in_bytes")
            stats.memoryStats.limit = CgroupHost.cappedMemoryLimit(read("memory.limit_in_bytes"))
            stats.memoryStats.failcnt = read("memory.failcnt")
            stats.memoryStats.stats = CgroupStatParser.keyValues((try? CgroupFS.read("\(dir)/memory.stat")) ?? "")
        } else {
            stats.memoryStats.limit = CgroupHost.cappedMemoryLimit(nil)
        }
        if let dir = dir("cpuacct") {
            var usage = CgroupStats.CPU.Usage()
            usage.totalUsage = CgroupStatParser.number(CgroupFS.value("\(dir)/cpuacct.usage")) ?? 0
            usage.percpuUsage = (try? CgroupFS.read("\(dir)/cpuacct.usage_percpu")).map(CgroupStatParser.numbers)
            let ticks = CgroupStatParser.keyValues((try? CgroupFS.read("\(dir)/cpuacct.stat")) ?? "")
            let tick = 1_000_000_000 / CgroupHost.clockTicks()
            usage.usageInUsermode = (ticks["user"] ?? 0) * tick
            usage.usageInKernelmode = (ticks["system"] ?? 0) * tick
            stats.cpuStats.cpuUsage = usage
        }
        if let dir = dir("cpu") {
            let cpu = CgroupStatParser.keyValues((try? CgroupFS.read("\(dir)/cpu.stat")) ?? "")
            stats.cpuStats.throttlingData.periods = cpu["nr_periods"] ?? 0
            stats.cpuStats.throttlingData.throttledPeriods = cpu["nr_throttled"] ?? 0
            stats.cpuStats.throttlingData.throttledTime = cpu["throttled_time"] ?? 0
        }
        stats.cpuStats.systemCpuUsage = CgroupHost.systemCPUUsage()
        stats.cpuStats.onlineCpus = CgroupHost.onlineCPUs()
        if let dir = dir("pids") {
            stats.pidsStats.current = CgroupStatParser.number(CgroupFS.value("\(dir)/pids.current")) ?? 0
            stats.pidsStats.limit = CgroupStatParser.number(CgroupFS.value("\(dir)/pids.max")).flatMap { $0 == .max ? nil : $0 }
        }
        if let dir = dir("blkio") {
            let read = { (file: String) in (try? CgroupFS.read("\(dir)/\(file)")).map(CgroupStatParser.blkioV1) }
            stats.blkioStats.ioServiceBytesRecursive = read("blkio.throttle.io_service_bytes_recursive")
            stats.blkioStats.ioServicedRecursive = read("blkio.throttle.io_serviced_recursive")
        }
        return stats
    }

    /// `oom_kill` in `memory.oom_control`: processes the OOM killer chose in this cgroup.
    func oomKillCount() -> Int {
        guard let dir = dir("memory"), let text = try? CgroupFS.read("\(dir)/memory.oom_control") else { return 0 }
        return Int(clamping: CgroupStatParser.keyValues(text)["oom_kill"] ?? 0)
    }
}
