import Glibc

extension CgroupV1 {
    /// Writes validated limits: cpuset, memory and swap (in the order the kernel accepts),
    /// CFS shares/period/quota, pids.
    func apply(_ limits: CgroupLimits, host: CgroupHostLimits) throws(CgroupError) {
        if let cpus = limits.cpusetCpus, let dir = dir("cpuset") {
            try CgroupFS.write("\(dir)/cpuset.cpus", "\(cpus)", flag: "--cpuset-cpus \(cpus)")
        }
        if let dir = dir("memory") { try applyMemory(limits, dir: dir, host: host) }
        if let dir = dir("cpu") { try applyCPU(limits, dir: dir) }
        if let pids = limits.pidsLimit, let dir = dir("pids") {
            try CgroupFS.write("\(dir)/pids.max", pids < 0 ? "max" : "\(pids)", flag: "--pids-limit \(pids)")
        }
    }

    /// `memory.memsw.limit_in_bytes` may never drop below `memory.limit_in_bytes`, so when both
    /// change, raise before lowering (runc's order).
    private func applyMemory(_ limits: CgroupLimits, dir: String, host: CgroupHostLimits) throws(CgroupError) {
        let memory = limits.memory
        var swap = host.swapAccounting ? limits.memorySwap : nil
        if memory == -1 && swap == nil && host.swapAccounting { swap = -1 }
        guard memory != nil || swap != nil else { return }
        let swapFirst: Bool
        if let swap {
            let current = CgroupStatParser.number(CgroupFS.value("\(dir)/memory.limit_in_bytes")) ?? 0
            swapFirst = swap == -1 || current < UInt64(swap)
        } else {
            swapFirst = false
        }
        if swapFirst, let swap { try writeSwap(swap, dir: dir) }
        if let memory { try writeMemory(memory, dir: dir) }
        if !swapFirst, let swap { try writeSwap(swap, dir: dir) }
    }

    private func writeMemory(_ memory: Int64, dir: String) throws(CgroupError) {
        let file = "\(dir)/memory.limit_in_bytes"
        let code = CgroupFS.writeErrno(file, "\(memory)")
        if code == 0 { return }
        let flag = "--memory \(CgroupByteSize.format(memory))"
        guard code == EBUSY else { throw .system("write \(memory) to", file, errno: code, flag: flag) }
        // The kernel could not reclaim down to the new limit.
        let usage = CgroupStatParser.number(CgroupFS.value("\(dir)/memory.usage_in_bytes")) ?? 0
        let peak = CgroupStatParser.number(CgroupFS.value("\(dir)/memory.max_usage_in_bytes")) ?? 0
        throw CgroupError(
            .busy,
            "\(flag): the container already uses \(CgroupByteSize.format(usage)) (peak \(CgroupByteSize.format(peak))), "
                + "more than the new limit; choose a larger --memory", errno: code)
    }

    private func writeSwap(_ swap: Int64, dir: String) throws(CgroupError) {
        try CgroupFS.write("\(dir)/memory.memsw.limit_in_bytes", "\(swap)", flag: "--memory-swap \(CgroupByteSize.format(swap))")
    }

    /// Shares, then period before quota — unless the kernel refuses the period against the old
    /// quota (EINVAL), then quota first (runc's order).
    private func applyCPU(_ limits: CgroupLimits, dir: String) throws(CgroupError) {
        if let shares = limits.cpuShares {
            try CgroupFS.write("\(dir)/cpu.shares", "\(shares)", flag: "--cpu-shares \(shares)")
        }
        let quotaFile = "\(dir)/cpu.cfs_quota_us"
        let periodFile = "\(dir)/cpu.cfs_period_us"
        var quotaWritten = false
        if let period = limits.cpuPeriod {
            let code = CgroupFS.writeErrno(periodFile, "\(period)")
            if code == EINVAL, let quota = limits.cpuQuota {
                try CgroupFS.write(quotaFile, "\(quota)", flag: "--cpu-quota \(quota)")
                quotaWritten = true
                try CgroupFS.write(periodFile, "\(period)", flag: "--cpu-period \(period)")
            } else if code != 0 {
                throw .system("write \(period) to", periodFile, errno: code, flag: "--cpu-period \(period)")
            }
        }
        if let quota = limits.cpuQuota, !quotaWritten {
            try CgroupFS.write(quotaFile, "\(quota)", flag: "--cpu-quota \(quota)")
        }
    }
}
