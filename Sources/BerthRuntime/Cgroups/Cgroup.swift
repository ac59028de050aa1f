/// A container's cgroup (v1: one directory per controller hierarchy; v2: one unified directory),
/// managed the way runc's cgroupfs driver does, so Docker's `--memory`, `--memory-swap`, `--cpus`,
/// `--cpu-shares`, `--cpuset-cpus` and `--pids-limit`, and `stats`, `update`, `pause`/`unpause`
/// and OOM reporting work. The version is detected from the root: v2 when it has `cgroup.controllers`.
public struct Cgroup: Sendable {
    /// Where cgroups are mounted.
    public static let defaultRoot = "/sys/fs/cgroup"
    /// The group every container's cgroup is under: `/sys/fs/cgroup/<controller>/berth/<id>` on v1.
    public static let parentName = "berth"

    /// The relative path, e.g. `berth/<id>`.
    public let path: String
    let backend: any CgroupBackend

    public var version: CgroupVersion { backend.version }
    /// The cgroup's directories: one per v1 hierarchy, or the single v2 one.
    public var directories: [String] { backend.directories }

    init(path: String, root: String) {
        self.path = path
        switch CgroupVersion.detect(root: root) {
        case .v1: backend = CgroupV1(root: root, path: path)
        case .v2: backend = CgroupV2(root: root, path: path)
        }
    }

    /// The conventional path of a container's cgroup: `berth/<id>`.
    public static func path(forContainer id: String) -> String { "\(parentName)/\(id)" }

    /// Creates (or opens) the cgroup at `spec.path` and applies its limits. A new directory is
    /// removed again when a limit is refused.
    public static func create(_ spec: ContainerSpec.CgroupSpec) throws(CgroupError) -> Cgroup {
        try create(spec, root: defaultRoot)
    }

    /// `create` under another cgroup root (tests: a fixture tree, or a hybrid host's `unified`).
    static func create(_ spec: ContainerSpec.CgroupSpec, root: String) throws(CgroupError) -> Cgroup {
        try CgroupPath.validate(spec.path)
        let cgroup = Cgroup(path: CgroupPath.normalize(spec.path), root: root)
        guard !cgroup.backend.directories.isEmpty else {
            throw CgroupError(.unsupported, "no cgroup hierarchies are mounted under \(root)")
        }
        let created = try cgroup.backend.makeDirectories()
        do throws(CgroupError) {
            try cgroup.update(spec)
        } catch {
            for dir in created { _ = CgroupFS.removeTree(dir) }
            throw error
        }
        return cgroup
    }

    /// An existing cgroup, e.g. when berthd restarts.
    public static func open(path: String) throws(CgroupError) -> Cgroup {
        try open(path: path, root: defaultRoot)
    }

    static func open(path: String, root: String) throws(CgroupError) -> Cgroup {
        try CgroupPath.validate(path)
        let cgroup = Cgroup(path: CgroupPath.normalize(path), root: root)
        guard cgroup.backend.exists() else { throw CgroupError(.notFound, "no cgroup \(path) under \(root)") }
        return cgroup
    }

    /// Moves a process (and its future children) into the cgroup: every v1 hierarchy's
    /// `cgroup.procs`, or the v2 one.
    public func add(pid: Int32) throws(CgroupError) { try backend.add(pid: pid) }

    /// Changes the limits set in `spec` (nil fields stay as they are): `berth update`.
    /// `spec.path` is ignored.
    public func update(_ spec: ContainerSpec.CgroupSpec) throws(CgroupError) {
        let host = backend.hostLimits()
        let limits = try CgroupLimits(validating: spec, host: host)
        try backend.apply(limits, host: host)
    }

    /// Usage now: memory, CPU (with the host's total for percentages), pids, block I/O.
    public func stats() throws(CgroupError) -> CgroupStats { try backend.stats() }

    /// Freezes every process (`pause`); returns once the kernel reports FROZEN.
    public func freeze() throws(CgroupError) { try backend.setFrozen(true) }

    /// Thaws (`unpause`); returns once the kernel reports THAWED.
    public func thaw() throws(CgroupError) { try backend.setFrozen(false) }

    /// Whether the cgroup is frozen (a paused container, also after a daemon restart).
    public func isFrozen() -> Bool { backend.isFrozen() }

    /// How many processes the OOM killer has killed in this cgroup (v1 `memory.oom_control`,
    /// v2 `memory.events`): what `State.OOMKilled` is derived from.
    public func oomKillCount() -> Int { backend.oomKillCount() }

    /// Docker's device rules for a non-privileged container (v1 devices controller; on v2 the
    /// rules need an eBPF program, which Berth does not load yet).
    public func restrictDevices() throws(CgroupError) { try backend.restrictDevices() }

    /// Processes in the cgroup (and any sub-cgroups), sorted.
    public func pids() throws(CgroupError) -> [Int32] {
        guard backend.exists() else { throw CgroupError(.notFound, "no cgroup \(path)") }
        return backend.pids()
    }

    /// Kills what is left (v2 `cgroup.kill`, else SIGKILL to each pid with the cgroup frozen),
    /// waits until it is empty, and removes every directory. Missing directories are fine.
    public func destroy() throws(CgroupError) {
        guard backend.exists() else { return }
        try backend.killAll()
        var remaining: [Int32] = []
        let empty = CgroupWait.until(timeout: 10) {
            remaining = backend.pids()
            if !remaining.isEmpty { backend.killEach(freeze: false) }
            return remaining.isEmpty
        }
        guard empty else {
            throw CgroupError(.busy, "cannot remove cgroup \(path): processes \(remaining.map(String.init).joined(separator: ", ")) survived SIGKILL")
        }
        try backend.removeDirectories()
    }
}
