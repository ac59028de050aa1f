/// A `CgroupSpec` checked against Docker's rules and the host, normalised for writing:
/// nil leaves a setting as it is, -1 means unlimited.
struct CgroupLimits: Equatable, Sendable {
    /// Bytes, or -1.
    var memory: Int64?
    /// Memory plus swap in bytes (Docker's `--memory-swap`), or -1.
    var memorySwap: Int64?
    /// 2…262144 (v1 `cpu.shares`).
    var cpuShares: Int64?
    /// Microseconds per period, or -1.
    var cpuQuota: Int64?
    /// Microseconds, 1000…1000000.
    var cpuPeriod: Int64?
    var cpusetCpus: CgroupCPUList?
    /// Tasks, or -1 for `max`.
    var pidsLimit: Int64?

    /// Docker's minimum for `--memory`.
    static let minimumMemory: Int64 = 6 * 1024 * 1024
    static let minimumShares: Int64 = 2
    static let maximumShares: Int64 = 262_144
    static let defaultPeriod: Int64 = 100_000

    init() {}

    /// Checks `spec`; throws the first problem, naming its flag.
    init(validating spec: ContainerSpec.CgroupSpec, host: CgroupHostLimits) throws(CgroupError) {
        try validateMemory(spec, host: host)
        try validateCPU(spec)
        try validateCpuset(spec, host: host)
        if let pids = spec.pidsLimit {
            pidsLimit = pids <= 0 ? -1 : pids
        } else if let pids = spec.defaultPidsLimit, host.controllers.contains("pids") {
            pidsLimit = pids
        }
        try requireControllers(host)
    }

    private mutating func validateCPU(_ spec: ContainerSpec.CgroupSpec) throws(CgroupError) {
        if let shares = spec.cpuShares, shares != 0 {
            let flag = "--cpu-shares", value = "\(shares)"
            guard shares > 0 else { throw .invalid(flag, value, "must be a positive weight (the default is 1024)") }
            guard shares >= Self.minimumShares else { throw .invalid(flag, value, "minimum allowed cpu-shares is \(Self.minimumShares)") }
            guard shares <= Self.maximumShares else { throw .invalid(flag, value, "maximum allowed cpu-shares is \(Self.maximumShares)") }
            cpuShares = shares
        }
        if let period = spec.cpuPeriod, period != 0 {
            guard (1000...1_000_000).contains(period) else {
                throw .invalid("--cpu-period", "\(period)", "must be between 1000 (1ms) and 1000000 (1s) microseconds")
            }
            cpuPeriod = period
        }
        if let quota = spec.cpuQuota, quota != 0 {
            guard quota >= -1 else { throw .invalid("--cpu-quota", "\(quota)", "must be a positive number of microseconds, or -1 for unlimited") }
            if quota > 0 && quota < 1000 {
                let period = cpuPeriod ?? Self.defaultPeriod
                throw .invalid(
                    "--cpus", "\(Self.decimal(quota, per: period)) (--cpu-quota \(quota) per \(period)µs period)",
                    "minimum CPU quota is 1000µs (1ms) per period, i.e. --cpus \(Self.decimal(1000, per: period))")
            }
            cpuQuota = quota
        }
    }

    private mutating func validateCpuset(_ spec: ContainerSpec.CgroupSpec, host: CgroupHostLimits) throws(CgroupError) {
        guard let text = spec.cpusetCpus, !text.isEmpty else { return }
        guard let list = CgroupCPUList(parsing: text), !list.isEmpty else {
            throw .invalid("--cpuset-cpus", "\"\(text)\"", "invalid CPU list; use a form like 0-3 or 0,2")
        }
        guard list.isSubset(of: host.availableCPUs) else {
            throw .invalid("--cpuset-cpus", text, "this machine has CPUs \(host.availableCPUs)")
        }
        cpusetCpus = list
    }

    /// Every limit that needs a controller finds it.
    private func requireControllers(_ host: CgroupHostLimits) throws(CgroupError) {
        var needs: [(controller: String, flag: String, value: String)] = []
        if let m = memory, m > 0 { needs.append(("memory", "--memory", CgroupByteSize.format(m))) }
        if let s = cpuShares { needs.append(("cpu", "--cpu-shares", "\(s)")) }
        if let q = cpuQuota, q > 0 { needs.append(("cpu", "--cpus", "\(Self.decimal(q, per: cpuPeriod ?? Self.defaultPeriod))")) }
        if let p = cpuPeriod { needs.append(("cpu", "--cpu-period", "\(p)")) }
        if let c = cpusetCpus { needs.append(("cpuset", "--cpuset-cpus", "\(c)")) }
        if let p = pidsLimit, p > 0 { needs.append(("pids", "--pids-limit", "\(p)")) }
        for need in needs where !host.controllers.contains(need.controller) {
            throw CgroupError(
                .unsupported,
                "\(need.flag) \(need.value): the \(need.controller) cgroup controller is not available in \(host.location); "
                    + "enable it or leave the limit unset")
        }
    }

    /// `quota / period` CPUs as a short decimal (`0.005`, `1.5`, `2`).
    static func decimal(_ quota: Int64, per period: Int64) -> String {
        guard period > 0 else { return "\(quota)" }
        let thousandths = (quota * 1000 + period / 2) / period
        let whole = thousandths / 1000
        var fraction = String(thousandths % 1000)
        while fraction.count < 3 { fraction = "0" + fraction }
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return fraction.isEmpty ? "\(whole)" : "\(whole).\(fraction)"
    }
}
