/// What a plain `docker run` gets (security.md §1), as berthd applies it.
enum Defaults {
    /// Docker's default capability set.
    static let capabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID",
        "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ]

    /// Every capability the kernel knows (for `--privileged` and `--cap-add ALL`).
    static let allCapabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
        "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
        "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    static let maskedPaths = [
        "/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
    ]

    static let readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]

    /// Berth's default pids limit (Docker has none): a fork bomb stops here. `--pids-limit -1`
    /// (or 0) lifts it, `--pids-limit N` replaces it.
    static let pidsLimit: Int64 = 4096

    static let path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// The kept set after `--cap-add`/`--cap-drop` (names with or without `CAP_`, or `ALL`).
    static func capabilities(add: [String], drop: [String], privileged: Bool) throws(EngineError) -> [String] {
        if privileged { return allCapabilities }
        func norm(_ c: String) throws(EngineError) -> String {
            let u = c.uppercased()
            if u == "ALL" { return u }
            let n = u.hasPrefix("CAP_") ? u : "CAP_" + u
            guard allCapabilities.contains(n) else { throw EngineError(.invalid, "unknown capability: \"\(c)\"") }
            return n
        }
        let adds = try add.map(norm), drops = try drop.map(norm)
        var set = drops.contains("ALL") ? [] : capabilities
        for c in adds {
            if c == "ALL" { set = allCapabilities } else if !set.contains(c) { set.append(c) }
        }
        if !drops.contains("ALL") { set.removeAll { drops.contains($0) } }
        return set
    }

    /// A Docker-like random name: adjective_scientist.
    static func name() -> String {
        let left = ["admiring", "bold", "brave", "calm", "clever", "eager", "elegant", "focused", "gifted", "happy", "jolly",
                    "keen", "kind", "lucid", "nifty", "quirky", "serene", "sharp", "tender", "vibrant", "wise", "zealous"]
        let right = ["archimedes", "babbage", "curie", "darwin", "euler", "faraday", "gauss", "hopper", "hypatia", "kepler",
                     "lamarr", "lovelace", "meitner", "newton", "noether", "pascal", "ritchie", "shannon", "tesla", "turing"]
        return "\(left.randomElement() ?? "calm")_\(right.randomElement() ?? "turing")"
    }
}
