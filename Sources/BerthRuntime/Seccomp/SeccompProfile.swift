/// A seccomp profile in Docker's JSON format (what `docker run --security-opt seccomp=FILE`
/// takes): the OCI `LinuxSeccomp` fields plus Docker's `archMap` and conditional syscall
/// groups (`includes`/`excludes` on capabilities, architectures and kernel version).
///
/// Actions, operators, architectures and flags stay strings here so that a wrong one is
/// reported by `resolve(for:source:)` with the syscall group it is in, not as a decoding error.
public struct SeccompProfile: Codable, Sendable, Equatable {
    /// `SCMP_ACT_*` for every syscall no rule matches. Empty with no syscalls: no filter at all.
    public var defaultAction: String
    /// errno for `defaultAction` `SCMP_ACT_ERRNO`/`SCMP_ACT_TRACE` (EPERM when absent).
    public var defaultErrnoRet: UInt64?
    /// `SCMP_ARCH_*` added to the filter besides the native one (OCI style).
    public var architectures: [String]?
    /// Docker style: the entry for the native architecture adds it and its sub-architectures.
    public var archMap: [ArchMapEntry]?
    /// `SECCOMP_FILTER_FLAG_*`. Absent: `SECCOMP_FILTER_FLAG_SPEC_ALLOW` where supported (as runc).
    public var flags: [String]?
    /// Seccomp agent socket for `SCMP_ACT_NOTIFY`; not supported by Berth.
    public var listenerPath: String?
    public var listenerMetadata: String?
    public var syscalls: [Syscall]?

    public init(
        defaultAction: String, defaultErrnoRet: UInt64? = nil, architectures: [String]? = nil,
        archMap: [ArchMapEntry]? = nil, flags: [String]? = nil, syscalls: [Syscall]
    ) {
        self.defaultAction = defaultAction
        self.defaultErrnoRet = defaultErrnoRet
        self.architectures = architectures
        self.archMap = archMap
        self.flags = flags
        self.syscalls = syscalls
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        defaultAction = try c.decodeIfPresent(String.self, forKey: .defaultAction) ?? ""
        defaultErrnoRet = try c.decodeIfPresent(UInt64.self, forKey: .defaultErrnoRet)
        architectures = try c.decodeIfPresent([String].self, forKey: .architectures)
        archMap = try c.decodeIfPresent([ArchMapEntry].self, forKey: .archMap)
        flags = try c.decodeIfPresent([String].self, forKey: .flags)
        listenerPath = try c.decodeIfPresent(String.self, forKey: .listenerPath)
        listenerMetadata = try c.decodeIfPresent(String.self, forKey: .listenerMetadata)
        syscalls = try c.decodeIfPresent([Syscall].self, forKey: .syscalls)
    }

    /// One `archMap` entry: an architecture and the compat ones that come with it.
    public struct ArchMapEntry: Codable, Sendable, Equatable {
        public var architecture: String
        public var subArchitectures: [String]?

        public init(architecture: String, subArchitectures: [String]?) {
            self.architecture = architecture
            self.subArchitectures = subArchitectures
        }
    }

    /// A group of syscalls sharing an action, argument conditions and inclusion conditions.
    public struct Syscall: Codable, Sendable, Equatable {
        public var names: [String]?
        /// Deprecated single-name form, still accepted (as Docker does).
        public var name: String?
        public var action: String
        public var errnoRet: UInt64?
        /// Conditions on the syscall's arguments, all of which must hold.
        public var args: [Argument]?
        public var comment: String?
        /// The group applies only when all of these hold.
        public var includes: Condition?
        /// The group is dropped when any of these holds.
        public var excludes: Condition?

        public init(
            names: [String], action: String, errnoRet: UInt64? = nil, args: [Argument]? = nil,
            comment: String? = nil, includes: Condition? = nil, excludes: Condition? = nil
        ) {
            self.names = names
            self.action = action
            self.errnoRet = errnoRet
            self.args = args
            self.comment = comment
            self.includes = includes
            self.excludes = excludes
        }
    }

    /// A comparison on one syscall argument (`SCMP_CMP_MASKED_EQ`: `(arg & value) == valueTwo`).
    public struct Argument: Codable, Sendable, Equatable {
        public var index: UInt64
        public var value: UInt64
        public var valueTwo: UInt64
        public var op: String

        public init(index: UInt64, value: UInt64, valueTwo: UInt64 = 0, op: String) {
            self.index = index
            self.value = value
            self.valueTwo = valueTwo
            self.op = op
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            index = try c.decode(UInt64.self, forKey: .index)
            value = try c.decodeIfPresent(UInt64.self, forKey: .value) ?? 0
            valueTwo = try c.decodeIfPresent(UInt64.self, forKey: .valueTwo) ?? 0
            op = try c.decode(String.self, forKey: .op)
        }
    }

    /// Docker's `includes`/`excludes`: capabilities (`CAP_*`), architectures in Docker's
    /// naming (`amd64`, `x32`, `x86`, `arm64`, …) and a minimum kernel (`"4.8"`).
    public struct Condition: Codable, Sendable, Equatable {
        public var caps: [String]?
        public var arches: [String]?
        public var minKernel: String?

        public init(caps: [String]? = nil, arches: [String]? = nil, minKernel: String? = nil) {
            self.caps = caps
            self.arches = arches
            self.minKernel = minKernel
        }
    }
}
