extension CgroupLimits {
    /// Docker's `--memory` / `--memory-swap` rules, plus what this kernel can account.
    mutating func validateMemory(_ spec: ContainerSpec.CgroupSpec, host: CgroupHostLimits) throws(CgroupError) {
        if let m = spec.memory, m != 0 {
            guard m >= -1 else { throw .invalid("--memory", "\(m)", "must be a positive size like 64m, or -1 for unlimited") }
            if m > 0 && m < Self.minimumMemory { throw .invalid("--memory", CgroupByteSize.format(m), "minimum memory limit is 6MB") }
            memory = m
        }
        if let s = spec.memorySwap, s != 0 {
            guard s >= -1 else { throw .invalid("--memory-swap", "\(s)", "must be a positive size like 128m, or -1 for unlimited swap") }
            memorySwap = s
        }
        // What the memory limit will be once this is applied (update may change only swap).
        let effectiveMemory = memory ?? host.currentMemory
        if let s = memorySwap, s > 0 {
            guard let m = effectiveMemory, m > 0 else {
                throw .invalid(
                    "--memory-swap", CgroupByteSize.format(s),
                    "set --memory too: --memory-swap is memory plus swap and needs a memory limit")
            }
            guard s >= m else {
                throw .invalid(
                    "--memory-swap", CgroupByteSize.format(s),
                    "must be at least --memory (\(CgroupByteSize.format(m))): it is memory plus swap; use -1 for unlimited swap")
            }
        }
        if let s = memorySwap, s != -1, s != effectiveMemory, !host.swapAccounting {
            throw CgroupError(
                .unsupported,
                "--memory-swap \(CgroupByteSize.format(s)): swap limits are unsupported here: the kernel has no swap accounting "
                    + "(no \(host.swapFile); boot with swapaccount=1); leave --memory-swap unset, set it equal to --memory, or -1")
        }
        // `update --memory` above the memory+swap already in force (v1), as Docker refuses it.
        if let m = memory, m > 0, memorySwap == nil, host.swapAccounting, let current = host.currentMemorySwap, m > current {
            throw .invalid(
                "--memory", CgroupByteSize.format(m),
                "memory limit should be smaller than the already set --memory-swap (\(CgroupByteSize.format(current))); "
                    + "update --memory-swap at the same time")
        }
    }
}
