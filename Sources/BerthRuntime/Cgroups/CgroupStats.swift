/// One sample of a container's cgroup, shaped (and JSON-keyed) like the matching parts of
/// Docker's stats object, so berthd only adds `read`, `preread`, `precpu_stats`, networks and names.
/// Times are nanoseconds, sizes bytes.
public struct CgroupStats: Codable, Sendable, Equatable {
    public var memoryStats = Memory()
    public var cpuStats = CPU()
    public var pidsStats = Pids()
    public var blkioStats = Blkio()

    public init() {}

    enum CodingKeys: String, CodingKey {
        case memoryStats = "memory_stats", cpuStats = "cpu_stats", pidsStats = "pids_stats", blkioStats = "blkio_stats"
    }

    /// Docker's `memory_stats`.
    public struct Memory: Codable, Sendable, Equatable {
        /// v1 `memory.usage_in_bytes`, v2 `memory.current`.
        public var usage: UInt64 = 0
        /// v1 `memory.max_usage_in_bytes`, v2 `memory.peak` (nil when the kernel has none).
        public var maxUsage: UInt64?
        /// The limit, capped at the host's memory as Docker does (so unlimited shows the host total).
        public var limit: UInt64 = 0
        /// v1 `memory.failcnt` (nil on v2, like Docker).
        public var failcnt: UInt64?
        /// `memory.stat` as is (v1 `cache`, `rss`, `total_inactive_file`…; v2 `anon`, `file`, `inactive_file`…).
        public var stats: [String: UInt64] = [:]
        public init() {}
        enum CodingKeys: String, CodingKey { case usage, maxUsage = "max_usage", limit, failcnt, stats }
    }

    /// Docker's `cpu_stats`.
    public struct CPU: Codable, Sendable, Equatable {
        public var cpuUsage = Usage()
        /// Host CPU time since boot (the `cpu` line of /proc/stat), for Docker's percentage.
        public var systemCpuUsage: UInt64 = 0
        public var onlineCpus: UInt32 = 0
        public var throttlingData = Throttling()
        public init() {}
        enum CodingKeys: String, CodingKey {
            case cpuUsage = "cpu_usage", systemCpuUsage = "system_cpu_usage", onlineCpus = "online_cpus", throttlingData = "throttling_data"
        }

        public struct Usage: Codable, Sendable, Equatable {
            public var totalUsage: UInt64 = 0
            /// Per CPU (v1 `cpuacct.usage_percpu`; nil on v2, like Docker).
            public var percpuUsage: [UInt64]?
            public var usageInKernelmode: UInt64 = 0
            public var usageInUsermode: UInt64 = 0
            public init() {}
            enum CodingKeys: String, CodingKey {
                case totalUsage = "total_usage", percpuUsage = "percpu_usage"
                case usageInKernelmode = "usage_in_kernelmode", usageInUsermode = "usage_in_usermode"
            }
        }

        public struct Throttling: Codable, Sendable, Equatable {
            public var periods: UInt64 = 0
            public var throttledPeriods: UInt64 = 0
            public var throttledTime: UInt64 = 0
            public init() {}
            enum CodingKeys: String, CodingKey { case periods, throttledPeriods = "throttled_periods", throttledTime = "throttled_time" }
        }
    }

    /// Docker's `pids_stats`.
    public struct Pids: Codable, Sendable, Equatable {
        public var current: UInt64 = 0
        /// `pids.max`; nil when unlimited.
        public var limit: UInt64?
        public init() {}
    }

    /// Docker's `blkio_stats` (the two lists `docker stats` reads; nil when the controller is absent).
    public struct Blkio: Codable, Sendable, Equatable {
        public var ioServiceBytesRecursive: [Entry]?
        public var ioServicedRecursive: [Entry]?
        public init() {}
        enum CodingKeys: String, CodingKey {
            case ioServiceBytesRecursive = "io_service_bytes_recursive", ioServicedRecursive = "io_serviced_recursive"
        }

        /// One device counter: v1 ops `Read`, `Write`, `Sync`, `Async`, `Discard`, `Total`;
        /// v2 `read` and `write` (as Docker reports them).
        public struct Entry: Codable, Sendable, Equatable {
            public var major: UInt64
            public var minor: UInt64
            public var op: String
            public var value: UInt64
            public init(major: UInt64, minor: UInt64, op: String, value: UInt64) {
                self.major = major
                self.minor = minor
                self.op = op
                self.value = value
            }
        }
    }
}
