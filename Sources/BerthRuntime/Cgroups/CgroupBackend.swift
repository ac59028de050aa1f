import Glibc

/// One cgroup version's way of doing what `Cgroup` offers. Implemented by `CgroupV1`
/// (a directory per controller hierarchy) and `CgroupV2` (one unified directory).
protocol CgroupBackend: Sendable {
    var version: CgroupVersion { get }
    /// The cgroup's directories: v1 one per hierarchy, v2 exactly one.
    var directories: [String] { get }
    /// Creates the cgroup (parents prepared: v1 cpusets initialised, v2 controllers enabled);
    /// returns the leaf directories this call created, for cleanup on a later failure.
    func makeDirectories() throws(CgroupError) -> [String]
    /// The host's capabilities and the limits in force, for validation.
    func hostLimits() -> CgroupHostLimits
    func apply(_ limits: CgroupLimits, host: CgroupHostLimits) throws(CgroupError)
    func stats() throws(CgroupError) -> CgroupStats
    /// Freezes or thaws, returning once the kernel reports the new state.
    func setFrozen(_ frozen: Bool) throws(CgroupError)
    func isFrozen() -> Bool
    func oomKillCount() -> Int
    /// Sends SIGKILL to every process in the cgroup; the caller waits for it to empty.
    func killAll() throws(CgroupError)
    /// Allows opening only Docker's default devices (`CgroupDevices`).
    func restrictDevices() throws(CgroupError)
}

extension CgroupBackend {
    func exists() -> Bool { directories.contains(where: CgroupFS.isDirectory) }

    /// Moves `pid` into every directory of the cgroup.
    func add(pid: Int32) throws(CgroupError) {
        for dir in directories {
            let file = "\(dir)/cgroup.procs"
            var code = CgroupFS.writeErrno(file, "\(pid)")
            // EINVAL: the task may still be in TASK_NEW right after clone(); runc retries too.
            var attempts = 0
            while code == EINVAL && attempts < 5 {
                usleep(30_000)
                attempts += 1
                code = CgroupFS.writeErrno(file, "\(pid)")
            }
            if code == ESRCH { throw CgroupError(.notFound, "cannot add process \(pid) to cgroup \(dir): no such process", errno: code) }
            if code != 0 { throw .system("add process \(pid) to", dir, errno: code) }
        }
    }

    /// Every process in the cgroup or its sub-cgroups, in any of its directories.
    func pids() -> [Int32] {
        var found = Set<Int32>()
        for dir in directories { Self.collectPids(dir, into: &found) }
        return found.sorted()
    }

    private static func collectPids(_ dir: String, into found: inout Set<Int32>) {
        guard let text = try? CgroupFS.read("\(dir)/cgroup.procs") else { return }
        for line in text.split(separator: "\n") { if let pid = Int32(line) { found.insert(pid) } }
        for sub in CgroupFS.subdirectories(dir) { collectPids("\(dir)/\(sub)", into: &found) }
    }

    /// SIGKILL to each process, with the cgroup frozen meanwhile so none can fork away.
    func killEach(freeze: Bool) {
        let frozen = freeze && (try? setFrozen(true)) != nil
        for pid in pids() { kill(pid, SIGKILL) }
        if frozen { try? setFrozen(false) }
    }

    /// Removes every directory (sub-cgroups first), retrying while the kernel still holds them.
    func removeDirectories() throws(CgroupError) {
        var delay: UInt32 = 10_000
        var failure: (String, Int32)?
        for attempt in 0..<6 {
            if attempt > 0 {
                usleep(delay)
                delay *= 2
            }
            failure = nil
            for dir in directories {
                let code = CgroupFS.removeTree(dir)
                if code != 0 { failure = (dir, code) }
            }
            if failure == nil { return }
        }
        if let (dir, code) = failure { throw .system("remove cgroup", dir, errno: code) }
    }
}
