/// A cgroup on the unified (v2) hierarchy: one directory, `<root>/<path>`, whose controllers
/// its ancestors hand down through `cgroup.subtree_control`.
struct CgroupV2: CgroupBackend {
    let root: String
    let path: String

    /// Controllers Berth enables down to its containers (when the root offers them).
    static let controllers = ["cpuset", "cpu", "io", "memory", "pids"]

    var version: CgroupVersion { .v2 }
    var dir: String { "\(root)/\(path)" }
    var directories: [String] { [dir] }

    /// Enables the controllers in the root and every ancestor, creating the path on the way
    /// (runc's CreateCgroupPath; a parent with processes of its own refuses, as the kernel's
    /// no-internal-processes rule says — the limit writes then report the missing controller).
    func makeDirectories() throws(CgroupError) -> [String] {
        let components = path.split(separator: "/").map(String.init)
        var created: [String] = []
        var current = root
        Self.enableControllers(in: current)
        do throws(CgroupError) {
            for (index, component) in components.enumerated() {
                current += "/\(component)"
                let isLeaf = index == components.count - 1
                if try CgroupFS.makeDirectory(current), isLeaf { created.append(current) }
                if !isLeaf { Self.enableControllers(in: current) }
            }
        } catch {
            for dir in created { _ = CgroupFS.removeDirectory(dir) }
            throw error
        }
        return created
    }

    /// `+cpuset +cpu +io +memory +pids` (those offered and not yet on) into `cgroup.subtree_control`,
    /// all at once or, when the kernel refuses the set, one by one.
    static func enableControllers(in dir: String) {
        let offered = Set(words(CgroupFS.value("\(dir)/cgroup.controllers")))
        let enabled = Set(words(CgroupFS.value("\(dir)/cgroup.subtree_control")))
        let wanted = controllers.filter { offered.contains($0) && !enabled.contains($0) }
        guard !wanted.isEmpty else { return }
        let file = "\(dir)/cgroup.subtree_control"
        if CgroupFS.writeErrno(file, wanted.map { "+\($0)" }.joined(separator: " ")) != 0 {
            for controller in wanted { _ = CgroupFS.writeErrno(file, "+\(controller)") }
        }
    }

    static func words(_ text: String?) -> [String] {
        (text ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
    }

    func hostLimits() -> CgroupHostLimits {
        let parent = CgroupFS.parent(dir)
        let cpus = (CgroupFS.value("\(parent)/cpuset.cpus.effective") ?? CgroupFS.value("\(root)/cpuset.cpus.effective"))
            .flatMap { CgroupCPUList(parsing: $0) }
        let available = Set(Self.words(CgroupFS.value("\(dir)/cgroup.controllers")))
        let memory = CgroupStatParser.number(CgroupFS.value("\(dir)/memory.max"))
        return CgroupHostLimits(
            availableCPUs: cpus.flatMap { $0.isEmpty ? nil : $0 } ?? CgroupHost.onlineCPUList(),
            swapAccounting: CgroupFS.exists("\(dir)/memory.swap.max"),
            swapFile: "memory.swap.max",
            controllers: available.intersection(["memory", "cpu", "cpuset", "pids"]),
            location: dir,
            currentMemory: memory.flatMap { $0 == .max ? nil : Int64(clamping: $0) },
            currentMemorySwap: nil)
    }

    /// Writes validated limits, translated to v2 files.
    func apply(_ limits: CgroupLimits, host: CgroupHostLimits) throws(CgroupError) {
        if let cpus = limits.cpusetCpus {
            try CgroupFS.write("\(dir)/cpuset.cpus", "\(cpus)", flag: "--cpuset-cpus \(cpus)")
        }
        let swapLimit = host.swapAccounting ? limits.memorySwap : nil
        if let swap = CgroupV2Values.swapMax(memorySwap: swapLimit, memory: limits.memory ?? host.currentMemory),
            host.swapAccounting
        {
            try CgroupFS.write("\(dir)/memory.swap.max", swap, flag: "--memory-swap \(CgroupByteSize.format(limits.memorySwap ?? -1))")
        }
        if let memory = limits.memory, memory > 0 || host.controllers.contains("memory") {
            try CgroupFS.write("\(dir)/memory.max", CgroupV2Values.max(memory), flag: "--memory \(CgroupByteSize.format(memory))")
        }
        if let shares = limits.cpuShares {
            try CgroupFS.write("\(dir)/cpu.weight", "\(CgroupV2Values.cpuWeight(shares: shares))", flag: "--cpu-shares \(shares)")
        }
        // Unlimited values are no-ops where the controller is absent; limits were checked to have it.
        let cpuLimited = (limits.cpuQuota ?? 0) > 0 || limits.cpuPeriod != nil
        if cpuLimited || host.controllers.contains("cpu"),
            let cpuMax = CgroupV2Values.cpuMax(quota: limits.cpuQuota, period: limits.cpuPeriod, current: CgroupFS.value("\(dir)/cpu.max"))
        {
            try CgroupFS.write("\(dir)/cpu.max", cpuMax, flag: "--cpus")
        }
        if let pids = limits.pidsLimit, pids > 0 || host.controllers.contains("pids") {
            try CgroupFS.write("\(dir)/pids.max", CgroupV2Values.max(pids), flag: "--pids-limit \(pids)")
        }
    }
}
