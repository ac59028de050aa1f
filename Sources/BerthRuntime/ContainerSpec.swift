/// Everything berth-shim needs to run one container, fully resolved by berthd and written to
/// `<bundle>/spec.json` before the shim starts. The shim trusts nothing else: it reads no
/// daemon state and no image metadata.
public struct ContainerSpec: Codable, Sendable, Equatable {
    public var id: String
    public var rootfs: Rootfs
    public var process: ProcessSpec
    public var hostname: String
    public var domainname: String = ""
    /// Mounts applied in order after the standard ones (/proc, /dev, /sys, ...): binds, volumes, tmpfs.
    public var mounts: [Mount] = []
    /// Host files bind-mounted over /etc/hosts, /etc/hostname, /etc/resolv.conf (nil: leave the image's).
    public var etcHosts: String?
    public var etcHostname: String?
    public var etcResolvConf: String?
    public var namespaces: Namespaces = Namespaces()
    /// Paths made unreadable (/dev/null bound over files, an empty read-only tmpfs over dirs).
    public var maskedPaths: [String] = []
    /// Paths remounted read-only.
    public var readonlyPaths: [String] = []
    public var seccomp: Seccomp = .default
    /// Privileged: all capabilities, all devices, no masked or read-only paths, no seccomp.
    public var privileged = false
    /// Cgroup to create and put the container in (nil: none).
    public var cgroup: CgroupSpec?
    public var log: LogSpec
    /// Signal `stop` sends first (Docker's StopSignal), as a number.
    public var stopSignal: Int32 = 15
    /// Run a tiny init as PID 1 that reaps zombies and forwards signals (`--init`).
    public var initProcess = false
    /// Run in a new user namespace with these id maps (`--userns-remap`); nil: the host's ids.
    public var userNamespace: UserNamespace?
    /// The data root's reserve file (BerthStore's `DiskReserve`): deleted when the shim's
    /// state write finds the disk full, so the write can succeed.
    public var diskReserve: String?

    public init(id: String, rootfs: Rootfs, process: ProcessSpec, hostname: String, log: LogSpec) {
        self.id = id
        self.rootfs = rootfs
        self.process = process
        self.hostname = hostname
        self.log = log
    }

    /// The overlay root filesystem.
    public struct Rootfs: Codable, Sendable, Equatable {
        /// Directory the short links are relative to (the shim chdirs there to mount, so
        /// `lowerdir=l/A:l/B:…` stays under a page even with 100+ layers).
        public var layersDir: String
        /// Short lowerdir links, top-most layer first (`l/ABC…`).
        public var lowerDirs: [String]
        public var upperDir: String
        public var workDir: String
        /// Where the merged root is mounted on the host side before pivot_root.
        public var mountPoint: String
        public var readOnly = false

        public init(layersDir: String, lowerDirs: [String], upperDir: String, workDir: String, mountPoint: String) {
            self.layersDir = layersDir
            self.lowerDirs = lowerDirs
            self.upperDir = upperDir
            self.workDir = workDir
            self.mountPoint = mountPoint
        }
    }

    public struct Mount: Codable, Sendable, Equatable {
        /// `bind` or `tmpfs`.
        public var type: String
        /// Host path for binds; ignored for tmpfs.
        public var source: String
        /// Path inside the container; resolved inside the rootfs, never outside it.
        public var destination: String
        /// `ro`, `rw`, `nosuid`, `nodev`, `noexec`, `rprivate`, `size=…`, `mode=…`; `idmap`: seen
        /// through the user namespace's maps (volumes under `--userns-remap`).
        public var options: [String]

        public init(type: String, source: String, destination: String, options: [String]) {
            self.type = type
            self.source = source
            self.destination = destination
            self.options = options
        }
    }

    /// A user namespace: container ids `containerID..<containerID+size` are host ids from `hostID`.
    /// Layers, the upper dir and volumes are mounted idmapped through the same maps, so files
    /// on disk keep the ids the image and the container see.
    public struct UserNamespace: Codable, Sendable, Equatable {
        public var uidMap: [IDMap]
        public var gidMap: [IDMap]
        /// A directory of the container's where the shim stages idmapped mounts before clone.
        public var stagingDir: String
        public init(uidMap: [IDMap], gidMap: [IDMap], stagingDir: String) {
            self.uidMap = uidMap
            self.gidMap = gidMap
            self.stagingDir = stagingDir
        }
    }

    public struct IDMap: Codable, Sendable, Equatable {
        public var containerID: UInt32
        public var hostID: UInt32
        public var size: UInt32
        public init(containerID: UInt32, hostID: UInt32, size: UInt32) {
            self.containerID = containerID
            self.hostID = hostID
            self.size = size
        }
        /// The `/proc/PID/uid_map` text for these ranges.
        public static func procText(_ maps: [IDMap]) -> String {
            maps.map { "\($0.containerID) \($0.hostID) \($0.size)\n" }.joined()
        }
    }

    public struct Namespaces: Codable, Sendable, Equatable {
        /// `none` (own empty netns with lo), `host`, or a path to a netns file to join.
        public var network = "none"
        /// `private` or `host`.
        public var ipc = "private"
        public var pid = "private"
        public var uts = "private"
        public init() {}
    }

    public enum Seccomp: Codable, Sendable, Equatable {
        case `default`
        case unconfined
        /// A Docker-format seccomp profile (JSON) at this path.
        case profile(String)
    }

    public struct CgroupSpec: Codable, Sendable, Equatable {
        /// Relative cgroup path, e.g. `berth/<id>`.
        public var path: String
        public var memory: Int64?
        public var memorySwap: Int64?
        /// CPU quota in microseconds per `cpuPeriod` (from --cpus).
        public var cpuQuota: Int64?
        public var cpuPeriod: Int64?
        public var cpuShares: Int64?
        public var cpusetCpus: String?
        public var pidsLimit: Int64?
        /// Applied when `pidsLimit` is nil and the host has the pids controller (berthd's default).
        public var defaultPidsLimit: Int64?
        public init(path: String) { self.path = path }
    }

    public struct LogSpec: Codable, Sendable, Equatable {
        /// The json-file log (Docker's format: one `{"log","stream","time"}` object per line).
        public var path: String
        /// Rotate when the file passes this many bytes (nil: never).
        public var maxSize: Int64?
        /// Files kept, counting the live one (Docker's max-file, default 1).
        public var maxFiles = 1
        public init(path: String) { self.path = path }
    }
}

/// The process to start: the container's entrypoint or an exec.
public struct ProcessSpec: Codable, Sendable, Equatable {
    /// argv; `args[0]` is looked up in the container's PATH when it has no slash.
    public var args: [String]
    public var env: [String]
    /// Working directory inside the container; created when missing, as Docker does.
    public var cwd: String
    /// Docker's `--user`: `""` (root), `uid`, `uid:gid`, `name`, `name:group`; resolved in the
    /// container's /etc/passwd and /etc/group.
    public var user: String
    /// Extra groups (`--group-add`), names or numbers.
    public var additionalGroups: [String] = []
    public var terminal = false
    public var openStdin = false
    /// Close the container's stdin when the first attached client detaches (`-i` without `-d`).
    public var stdinOnce = false
    /// Initial terminal size `[height, width]`.
    public var consoleSize: [UInt16]?
    public var rlimits: [Rlimit] = []
    public var noNewPrivileges = false
    /// Capabilities kept (`CAP_CHOWN`, …): bounding, permitted, effective and inheritable sets.
    public var capabilities: [String]

    public init(args: [String], env: [String], cwd: String, user: String, capabilities: [String]) {
        self.args = args
        self.env = env
        self.cwd = cwd
        self.user = user
        self.capabilities = capabilities
    }

    public struct Rlimit: Codable, Sendable, Equatable {
        /// `RLIMIT_NOFILE`, …
        public var type: String
        public var soft: UInt64
        public var hard: UInt64
        public init(type: String, soft: UInt64, hard: UInt64) {
            self.type = type
            self.soft = soft
            self.hard = hard
        }
    }
}
