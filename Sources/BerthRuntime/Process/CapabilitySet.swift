import CBerthSys

/// A set of Linux capabilities as a bit mask, built from Docker's names (`CAP_CHOWN`, `chown`).
public struct CapabilitySet: Sendable, Equatable, CustomStringConvertible {
    /// Bit `n` set means capability number `n`.
    public var mask: UInt64

    public init(mask: UInt64) {
        self.mask = mask
    }

    /// Parses capability names; unknown names fail with Docker's message.
    public init(names: [String]) throws(RuntimeError) {
        var mask: UInt64 = 0
        for name in names {
            guard let number = Self.number(of: name) else {
                throw RuntimeError(.invalidArgument, "unknown capability: \"\(name)\"")
            }
            mask |= 1 << UInt64(number)
        }
        self.mask = mask
    }

    /// Docker's default set for a plain `docker run` (moby `caps.DefaultCapabilities`).
    public static let dockerDefault: CapabilitySet = {
        let names = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
                     "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
                     "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]
        var mask: UInt64 = 0
        for name in names { if let n = number(of: name) { mask |= 1 << UInt64(n) } }
        return CapabilitySet(mask: mask)
    }()

    /// Every capability name this build knows, in kernel order.
    public static let allNames: [String] = names.map { "CAP_" + $0 }

    public func contains(_ number: Int) -> Bool { number < 64 && mask & (1 << UInt64(number)) != 0 }

    public var description: String {
        let hex = String(mask, radix: 16)
        return String(repeating: "0", count: max(0, 16 - hex.count)) + hex
    }

    /// The kernel number of a capability name (`CAP_` prefix and case optional).
    public static func number(of name: String) -> Int? {
        var key = name.uppercased()
        if key.hasPrefix("CAP_") { key.removeFirst(4) }
        return names.firstIndex(of: key)
    }

    private static let names = [
        "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
        "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
        "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
        "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
        "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
        "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
    ]
}
