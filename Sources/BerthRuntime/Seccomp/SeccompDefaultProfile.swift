// Docker's default seccomp profile, as Swift data. This is the one large file of the
// directory on purpose: it is a table, meant to be diffed against upstream when Docker moves.
//
// Followed: github.com/moby/profiles/seccomp v0.2.3 (`default.json`), the version vendored by
// moby/moby docker-v29.7.2 (master b985e2313a, August 2026). Intent, group by group:
// ERRNO(EPERM) for everything not listed; a large allow-list; socket families AF_ALG (38) and
// AF_VSOCK (40) refused; personality() only for the harmless personas and the query; per-arch
// extras; syscalls that need a capability allowed only when the container keeps it; without
// CAP_SYS_ADMIN clone only without namespace flags and clone3 → ENOSYS (so glibc falls back
// to clone, whose flags the filter can see).

extension SeccompProfile {
    /// Docker's default profile (moby/profiles seccomp v0.2.3). Resolve it with the container's
    /// capabilities: the capability-gated groups are in or out depending on them.
    public static let dockerDefault = SeccompProfile(
        defaultAction: "SCMP_ACT_ERRNO",
        defaultErrnoRet: 1,  // EPERM
        archMap: [
            ArchMapEntry(architecture: "SCMP_ARCH_X86_64", subArchitectures: ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]),
            ArchMapEntry(architecture: "SCMP_ARCH_AARCH64", subArchitectures: ["SCMP_ARCH_ARM"]),
            ArchMapEntry(architecture: "SCMP_ARCH_MIPS64", subArchitectures: ["SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32"]),
            ArchMapEntry(architecture: "SCMP_ARCH_MIPS64N32", subArchitectures: ["SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64"]),
            ArchMapEntry(architecture: "SCMP_ARCH_MIPSEL64", subArchitectures: ["SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"]),
            ArchMapEntry(architecture: "SCMP_ARCH_MIPSEL64N32", subArchitectures: ["SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64"]),
            ArchMapEntry(architecture: "SCMP_ARCH_S390X", subArchitectures: ["SCMP_ARCH_S390"]),
            ArchMapEntry(architecture: "SCMP_ARCH_RISCV64", subArchitectures: nil),
            ArchMapEntry(architecture: "SCMP_ARCH_LOONGARCH64", subArchitectures: nil),
        ],
        syscalls: DefaultProfileTable.groups
    )
}

/// The syscall groups of `SeccompProfile.dockerDefault`, in upstream order.
private enum DefaultProfileTable {
    typealias Group = SeccompProfile.Syscall
    typealias Only = SeccompProfile.Condition

    /// CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
    /// CLONE_NEWPID | CLONE_NEWNET (0x7e020000).
    static let cloneNamespaceFlags: UInt64 = 0x0002_0000 | 0x0200_0000 | 0x0400_0000 | 0x0800_0000
        | 0x1000_0000 | 0x2000_0000 | 0x4000_0000

    static func allow(_ names: [String], when includes: Only? = nil, unless excludes: Only? = nil,
                      args: [SeccompProfile.Argument]? = nil, comment: String? = nil) -> Group {
        Group(names: names, action: "SCMP_ACT_ALLOW", args: args, comment: comment, includes: includes, excludes: excludes)
    }

    static func arg0(_ op: String, _ value: UInt64) -> [SeccompProfile.Argument] {
        [SeccompProfile.Argument(index: 0, value: value, op: op)]
    }

    static func needs(_ capability: String) -> Only { Only(caps: [capability]) }

    static let groups: [Group] = [
        allow(allowed),
        allow(["process_vm_readv", "process_vm_writev", "ptrace"], when: Only(minKernel: "4.8")),
        // Every socket family but AF_ALG (38) and AF_VSOCK (40).
        allow(["socket"], args: arg0("SCMP_CMP_LT", 38)),
        allow(["socket"], args: arg0("SCMP_CMP_EQ", 39)),
        allow(["socket"], args: arg0("SCMP_CMP_GT", 40)),
        // PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, and 0xffffffff (query only).
        allow(["personality"], args: arg0("SCMP_CMP_EQ", 0x0)),
        allow(["personality"], args: arg0("SCMP_CMP_EQ", 0x8)),
        allow(["personality"], args: arg0("SCMP_CMP_EQ", 0x20000)),
        allow(["personality"], args: arg0("SCMP_CMP_EQ", 0x20008)),
        allow(["personality"], args: arg0("SCMP_CMP_EQ", 0xffff_ffff)),
        // Architecture-specific syscalls.
        allow(["sync_file_range2", "swapcontext"], when: Only(arches: ["ppc64le"])),
        allow(["arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint", "cacheflush", "set_tls"],
              when: Only(arches: ["arm", "arm64"])),
        allow(["arch_prctl"], when: Only(arches: ["amd64", "x32"])),
        allow(["modify_ldt"], when: Only(arches: ["amd64", "x32", "x86"])),
        allow(["s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"], when: Only(arches: ["s390", "s390x"])),
        allow(["riscv_flush_icache"], when: Only(arches: ["riscv64"])),
        // Capability-gated syscalls.
        allow(["open_by_handle_at"], when: needs("CAP_DAC_READ_SEARCH")),
        allow(sysAdmin, when: needs("CAP_SYS_ADMIN")),
        allow(["clone"], unless: Only(caps: ["CAP_SYS_ADMIN"], arches: ["s390", "s390x"]),
              args: [SeccompProfile.Argument(index: 0, value: cloneNamespaceFlags, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ")],
              comment: "clone without namespace flags"),
        allow(["clone"], when: Only(arches: ["s390", "s390x"]), unless: needs("CAP_SYS_ADMIN"),
              args: [SeccompProfile.Argument(index: 1, value: cloneNamespaceFlags, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ")],
              comment: "s390 passes clone's flags second"),
        Group(names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: 38,  // ENOSYS: glibc falls back to clone
              comment: "clone3's flags are in memory the filter cannot read", excludes: needs("CAP_SYS_ADMIN")),
        allow(["reboot"], when: needs("CAP_SYS_BOOT")),
        allow(["chroot"], when: needs("CAP_SYS_CHROOT")),
        allow(["delete_module", "init_module", "finit_module"], when: needs("CAP_SYS_MODULE")),
        allow(["acct"], when: needs("CAP_SYS_PACCT")),
        allow(["kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"],
              when: needs("CAP_SYS_PTRACE")),
        allow(["iopl", "ioperm"], when: needs("CAP_SYS_RAWIO")),
        allow(["settimeofday", "stime", "clock_settime", "clock_settime64"], when: needs("CAP_SYS_TIME")),
        allow(["vhangup"], when: needs("CAP_SYS_TTY_CONFIG")),
        allow(["get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"], when: needs("CAP_SYS_NICE")),
        allow(["syslog"], when: needs("CAP_SYSLOG")),
        allow(["bpf"], when: needs("CAP_BPF")),
        allow(["perf_event_open"], when: needs("CAP_PERFMON")),
    ]

    /// Allowed with CAP_SYS_ADMIN.
    static let sysAdmin: [String] = [
        "bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick", "lookup_dcookie",
        "lsm_get_self_attr", "lsm_list_modules", "lsm_set_self_attr", "mount", "mount_setattr", "move_mount",
        "open_tree", "perf_event_open", "quotactl", "quotactl_fd", "setdomainname", "sethostname", "setns",
        "syslog", "umount", "umount2", "unshare",
    ]

    /// Allowed unconditionally (names unknown to the installed libseccomp are skipped).
    static let allowed: [String] = [
        "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget", "capset",
        "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres",
        "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
        "clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range", "creat", "dup",
        "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
        "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat", "exit",
        "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark",
        "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat", "fcntl", "fcntl64",
        "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat",
        "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex",
        "futex_requeue", "futex_time64", "futex_wait", "futex_waitv", "futex_wake", "futimesat", "getcpu",
        "getcwd", "getdents", "getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid",
        "getgid32", "getgroups", "getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid",
        "getppid", "getpriority", "getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32",
        "getrlimit", "get_robust_list", "getrusage", "getsid", "getsockname", "getsockopt",
        "get_thread_area", "gettid", "gettimeofday", "getuid", "getuid32", "getxattr", "getxattrat",
        "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl",
        "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64", "ioprio_get", "ioprio_set",
        "io_setup", "io_submit", "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset",
        "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat", "listen", "listmount",
        "listxattr", "listxattrat", "llistxattr", "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat",
        "lstat64", "madvise", "map_shadow_stack", "membarrier", "memfd_create", "memfd_secret", "mincore",
        "mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect",
        "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend",
        "mq_timedsend_time64", "mq_unlink", "mremap", "mseal", "msgctl", "msgget", "msgrcv", "msgsnd",
        "msync", "munlock", "munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat",
        "_newselect", "open", "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe",
        "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl",
        "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease", "pselect6", "pselect6_time64",
        "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink", "readlinkat", "readv", "recv",
        "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr",
        "removexattrat", "rename", "renameat", "renameat2", "restart_syscall", "riscv_hwprobe", "rmdir",
        "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn",
        "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo",
        "sched_getaffinity", "sched_getattr", "sched_getparam", "sched_get_priority_max",
        "sched_get_priority_min", "sched_getscheduler", "sched_rr_get_interval",
        "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr", "sched_setparam",
        "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl", "semget", "semop", "semtimedop",
        "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto", "setfsgid",
        "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32",
        "setitimer", "setpgid", "setpriority", "setregid", "setregid32", "setresgid", "setresgid32",
        "setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list", "setsid",
        "setsockopt", "set_thread_area", "set_tid_address", "setuid", "setuid32", "setxattr", "setxattrat",
        "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4",
        "sigprocmask", "sigreturn", "socketcall", "socketpair", "splice", "stat", "stat64", "statfs",
        "statfs64", "statmount", "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs",
        "sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun",
        "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64", "timerfd_create",
        "timerfd_gettime", "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times", "tkill",
        "truncate", "truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "uretprobe", "utime",
        "utimensat", "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid",
        "write", "writev",
    ]
}
