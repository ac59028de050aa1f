import BerthRuntime
import Testing

/// Docker's default profile resolved for various containers, without loading anything.
@Suite struct SeccompDefaultProfileTests {
    @Test func defaultActionIsEPERMAndX86CompatArchesAreAdded() throws {
        let rules = try SeccompRuleSet.dockerDefault(.amd64())
        #expect(rules.defaultAction == .errno(1))
        #expect(rules.architectures == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
        #expect(rules.flags == [.specAllow])
        #expect(rules.flagsRequired == false)
    }

    @Test(arguments: ["getpid", "openat", "read", "write", "execve", "exit_group", "futex", "capset", "setresuid",
                      "setgroups", "prctl", "close_range", "fork", "vfork", "wait4", "getcwd", "arch_prctl", "modify_ldt",
                      "chroot", "ptrace", "process_vm_readv", "chown32", "socketcall"])
    func allowedWithDockerDefaultCaps(_ syscall: String) throws {
        #expect(try SeccompRuleSet.dockerDefault(.amd64()).unconditionalAction(syscall) == .allow)
    }

    @Test(arguments: ["mount", "umount2", "unshare", "setns", "keyctl", "add_key", "request_key", "reboot", "kexec_load",
                      "init_module", "finit_module", "delete_module", "bpf", "perf_event_open", "open_by_handle_at",
                      "swapon", "pivot_root", "acct", "settimeofday", "clock_settime", "iopl", "ioperm", "vhangup",
                      "mbind", "syslog", "sethostname", "fsopen", "move_mount", "kcmp", "pidfd_getfd", "userfaultfd",
                      "s390_runtime_instr", "riscv_flush_icache", "cacheflush"])
    func refusedWithDockerDefaultCaps(_ syscall: String) throws {
        let rules = try SeccompRuleSet.dockerDefault(.amd64())
        #expect(rules.rules(for: syscall).isEmpty, "\(syscall) should fall through to ERRNO(EPERM)")
    }

    @Test func cloneOnlyWithoutNamespaceFlagsAndClone3IsENOSYS() throws {
        let rules = try SeccompRuleSet.dockerDefault(.amd64())
        #expect(rules.rules(for: "clone") == [
            SeccompRule(syscall: "clone", action: .allow, conditions: [
                SeccompCondition(index: 0, op: .maskedEqual, value: 0x7e02_0000, valueTwo: 0),
            ]),
        ])
        #expect(rules.rules(for: "clone3") == [SeccompRule(syscall: "clone3", action: .errno(38))])
    }

    @Test func capSysAdminOpensNamespacesAndMounts() throws {
        let rules = try SeccompRuleSet.dockerDefault(.amd64(seccompDockerDefaultCaps + ["CAP_SYS_ADMIN"]))
        for syscall in ["mount", "umount2", "unshare", "setns", "clone", "clone3", "bpf", "sethostname", "fsopen"] {
            #expect(rules.unconditionalAction(syscall) == .allow, "\(syscall)")
        }
        // The namespace-flag mask and the clone3 ENOSYS rule are gone with CAP_SYS_ADMIN.
        #expect(rules.rules(for: "clone") == [SeccompRule(syscall: "clone", action: .allow)])
        #expect(rules.rules(for: "clone3") == [SeccompRule(syscall: "clone3", action: .allow)])
    }

    @Test(arguments: [
        ("CAP_SYS_BOOT", "reboot"), ("CAP_SYS_CHROOT", "chroot"), ("CAP_SYS_MODULE", "init_module"),
        ("CAP_SYS_MODULE", "finit_module"), ("CAP_SYS_MODULE", "delete_module"), ("CAP_SYS_PACCT", "acct"),
        ("CAP_SYS_PTRACE", "kcmp"), ("CAP_SYS_PTRACE", "pidfd_getfd"), ("CAP_SYS_PTRACE", "process_madvise"),
        ("CAP_SYS_RAWIO", "iopl"), ("CAP_SYS_RAWIO", "ioperm"), ("CAP_SYS_TIME", "settimeofday"),
        ("CAP_SYS_TIME", "clock_settime"), ("CAP_SYS_TTY_CONFIG", "vhangup"), ("CAP_SYS_NICE", "mbind"),
        ("CAP_SYS_NICE", "set_mempolicy"), ("CAP_SYSLOG", "syslog"), ("CAP_BPF", "bpf"),
        ("CAP_PERFMON", "perf_event_open"), ("CAP_DAC_READ_SEARCH", "open_by_handle_at"),
    ])
    func capabilityGatedSyscall(_ capability: String, _ syscall: String) throws {
        let without = try SeccompRuleSet.dockerDefault(.amd64(["CAP_CHOWN"]))
        let with = try SeccompRuleSet.dockerDefault(.amd64(["CAP_CHOWN", capability]))
        #expect(without.unconditionalAction(syscall) == .errno(1))
        #expect(with.unconditionalAction(syscall) == .allow)
    }

    @Test func capabilityNamesAreNormalized() throws {
        let rules = try SeccompRuleSet.dockerDefault(.amd64(["sys_admin"]))
        #expect(rules.unconditionalAction("mount") == .allow)
    }

    @Test func personalityAllowsOnlyHarmlessPersonasAndTheQuery() throws {
        let rules = try SeccompRuleSet.dockerDefault(.amd64())
        let values = rules.rules(for: "personality").map { rule -> UInt64? in
            guard rule.action == .allow, rule.conditions.count == 1, rule.conditions[0].op == .equal,
                  rule.conditions[0].index == 0 else { return nil }
            return rule.conditions[0].value
        }
        #expect(values == [0x0, 0x8, 0x20000, 0x20008, 0xffff_ffff])
    }

    @Test func socketRefusesAFALGAndAFVSOCK() throws {
        let rules = try SeccompRuleSet.dockerDefault(.amd64())
        #expect(rules.rules(for: "socket").map(\.conditions) == [
            [SeccompCondition(index: 0, op: .less, value: 38)],
            [SeccompCondition(index: 0, op: .equal, value: 39)],
            [SeccompCondition(index: 0, op: .greater, value: 40)],
        ])
    }

    @Test func ptraceNeedsKernel48WithoutCapSysPtrace() throws {
        let old = try SeccompRuleSet.dockerDefault(.amd64(kernel: .init(kernel: 4, major: 4)))
        #expect(old.unconditionalAction("ptrace") == .errno(1))
        let oldWithCap = try SeccompRuleSet.dockerDefault(.amd64(["CAP_SYS_PTRACE"], kernel: .init(kernel: 4, major: 4)))
        #expect(oldWithCap.unconditionalAction("ptrace") == .allow)
        // Both groups allow ptrace on a new kernel: one rule, not two.
        let both = try SeccompRuleSet.dockerDefault(.amd64(["CAP_SYS_PTRACE"]))
        #expect(both.rules(for: "ptrace").count == 1)
    }

    @Test func arm64GetsArmCompatAndArmSyscallsButNotX86Ones() throws {
        let rules = try SeccompRuleSet.dockerDefault(SeccompEnvironment(
            architecture: "arm64", kernel: .init(kernel: 6, major: 1), capabilities: seccompDockerDefaultCaps))
        #expect(rules.architectures == ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"])
        #expect(rules.unconditionalAction("cacheflush") == .allow)
        #expect(rules.rules(for: "arch_prctl").isEmpty)
        #expect(rules.rules(for: "modify_ldt").isEmpty)
    }

    @Test func s390xTestsCloneFlagsInTheSecondArgument() throws {
        let rules = try SeccompRuleSet.dockerDefault(SeccompEnvironment(
            architecture: "s390x", kernel: .init(kernel: 6, major: 1), capabilities: []))
        #expect(rules.architectures == ["SCMP_ARCH_S390X", "SCMP_ARCH_S390"])
        #expect(rules.rules(for: "clone").map(\.conditions) == [
            [SeccompCondition(index: 1, op: .maskedEqual, value: 0x7e02_0000, valueTwo: 0)],
        ])
    }

    @Test func unknownHostArchitectureAddsNoCompatArches() throws {
        let rules = try SeccompRuleSet.dockerDefault(SeccompEnvironment(
            architecture: "sparc64", kernel: .init(kernel: 6, major: 1), capabilities: []))
        #expect(rules.architectures.isEmpty)
    }

    @Test func settingsMapToRuleSets() throws {
        let environment = SeccompEnvironment.amd64()
        #expect(try SeccompFilter.ruleSet(for: .unconfined, environment: environment) == nil)
        #expect(try SeccompFilter.ruleSet(for: .default, environment: environment) == SeccompRuleSet.dockerDefault(environment))
    }

    @Test func runningKernelAndArchitectureAreKnown() {
        let environment = SeccompEnvironment.current(capabilities: ["CAP_CHOWN"])
        #expect(environment.kernel >= SeccompEnvironment.KernelVersion(kernel: 3, major: 17))
        #expect(environment.scmpArchitecture != nil)
        #expect(environment.capabilities == ["CAP_CHOWN"])
    }
}
