/// What a cgroup's host can enforce, and what is already in force: the context a
/// `CgroupSpec` is validated in.
struct CgroupHostLimits: Sendable {
    /// CPUs a container may be pinned to (the root's effective cpuset).
    var availableCPUs: CgroupCPUList
    /// Whether memory+swap can be limited (v1 `memory.memsw.*`, v2 `memory.swap.max`).
    var swapAccounting: Bool
    /// The file whose absence means no swap accounting, for the error message.
    var swapFile: String
    /// Controllers whose files this cgroup has: `memory`, `cpu`, `cpuset`, `pids`.
    var controllers: Set<String>
    /// Where the controllers were looked for, for the error message.
    var location: String

    /// The memory limit in force (nil: unlimited or unknown).
    var currentMemory: Int64?
    /// The v1 memory+swap limit in force (nil: unlimited, unknown, or v2 where swap is separate).
    var currentMemorySwap: Int64?
}
