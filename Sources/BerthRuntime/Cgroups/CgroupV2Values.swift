/// Docker's v1-shaped limits translated to cgroup v2 files, as runc translates them.
enum CgroupV2Values {
    /// `cpu.shares` [2…262144] to `cpu.weight` [1…10000], linearly: 2→1, 1024→39, 262144→10000.
    static func cpuWeight(shares: Int64) -> Int64 {
        1 + ((shares - 2) * 9999) / 262_142
    }

    /// `memory.swap.max` for Docker's memory+swap total: swap alone, `max` for unlimited, nil to
    /// leave it. Assumes validated limits (swap ≥ memory > 0 when both are set).
    static func swapMax(memorySwap: Int64?, memory: Int64?) -> String? {
        switch (memorySwap, memory) {
        case (nil, -1): return "max"  // unlimited memory without a swap setting: unlimited swap too
        case (nil, _): return nil
        case (-1, _): return "max"
        case (let total?, -1): return "\(total)"
        case (let total?, let m?): return "\(Swift.max(0, total - m))"
        case (let total?, nil): return "\(total)"
        }
    }

    /// `cpu.max` (`$QUOTA $PERIOD`) after changing either half of `current`.
    static func cpuMax(quota: Int64?, period: Int64?, current: String?) -> String? {
        guard quota != nil || period != nil else { return nil }
        let fields = (current ?? "").split(separator: " ")
        let currentQuota = fields.first.map(String.init) ?? "max"
        let currentPeriod = fields.count > 1 ? String(fields[1]) : "\(CgroupLimits.defaultPeriod)"
        let q = quota.map { $0 < 0 ? "max" : "\($0)" } ?? currentQuota
        let p = period.map { "\($0)" } ?? currentPeriod
        return "\(q) \(p)"
    }

    /// A limit for a v2 `*.max` file: `max` for unlimited.
    static func max(_ value: Int64) -> String { value < 0 ? "max" : "\(value)" }
}
