import BerthRuntime
import Foundation
import Testing

/// Building filters with libseccomp. Nothing is loaded: a loaded filter cannot be removed,
/// so loading is covered by berth-shim's end-to-end tests, not in the test process.
@Suite struct SeccompFilterBuildTests {
    @Test func dockerDefaultBuildsForThisMachine() throws {
        let filter = try #require(try SeccompFilter.prepare(.default, capabilities: seccompDockerDefaultCaps))
        #expect(filter.ruleSet.defaultAction == .errno(1))
        // Names newer than the installed libseccomp are skipped, never fatal; classic ones resolve.
        let profileNames = Set(filter.ruleSet.rules.map(\.syscall))
        #expect(filter.skippedSyscalls.allSatisfy(profileNames.contains))
        for known in ["getpid", "openat", "clone", "clone3", "personality", "socket", "chown32", "socketcall"] {
            #expect(!filter.skippedSyscalls.contains(known), "\(known)")
        }
        let code = try filter.pseudoFilterCode()
        #expect(code.contains("filter for arch x86_64"))
        #expect(code.contains("filter for arch x86 "))
        #expect(code.contains("filter for arch x32"))
        #expect(code.contains("action ERRNO(1);"))
        #expect(code.contains("action ERRNO(38);"))  // clone3
    }

    @Test func defaultWithEveryCapabilityBuilds() throws {
        let all = ["CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_CHROOT", "CAP_SYS_MODULE", "CAP_SYS_PACCT", "CAP_SYS_PTRACE",
                   "CAP_SYS_RAWIO", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_SYS_NICE", "CAP_SYSLOG", "CAP_BPF",
                   "CAP_PERFMON", "CAP_DAC_READ_SEARCH"]
        let filter = try #require(try SeccompFilter.prepare(.default, capabilities: all))
        #expect(filter.ruleSet.unconditionalAction("mount") == .allow)
        #expect(try filter.pseudoFilterCode().contains("\"mount\""))
    }

    @Test func unconfinedBuildsNothing() throws {
        #expect(try SeccompFilter.prepare(.unconfined, capabilities: []) == nil)
    }

    @Test func unknownSyscallNamesAreSkippedLikeDocker() throws {
        let file = try SeccompTestFile("""
        {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
          {"names": ["getcwd", "no_such_syscall_berth"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}
        """)
        defer { file.cleanup() }
        let filter = try #require(try SeccompFilter.prepare(.profile(file.path), capabilities: []))
        #expect(filter.skippedSyscalls == ["no_such_syscall_berth"])
        let code = try filter.pseudoFilterCode()
        #expect(code.contains("\"getcwd\""))
        #expect(!code.contains("no_such_syscall_berth"))
    }

    @Test func argumentConditionsReachLibseccomp() throws {
        let ruleSet = SeccompRuleSet(defaultAction: .allow, rules: [
            SeccompRule(syscall: "clone", action: .errno(1), conditions: [
                SeccompCondition(index: 0, op: .maskedEqual, value: 0x10000000, valueTwo: 0x10000000),
            ]),
            SeccompRule(syscall: "socket", action: .errno(97), conditions: [SeccompCondition(index: 0, op: .equal, value: 40)]),
        ])
        let code = try SeccompFilter.Prepared(ruleSet, source: "test").pseudoFilterCode()
        #expect(code.contains("& 0x10000000 == 268435456") || code.contains("& 0x10000000 == 0x10000000"))
        #expect(code.contains("action ERRNO(97);"))
    }

    @Test func architectureUnknownToLibseccompIsAProfileError() {
        let ruleSet = SeccompRuleSet(defaultAction: .allow, architectures: ["SCMP_ARCH_NOSUCH"], rules: [])
        #expect(throws: SeccompError.invalidProfile(source: "p.json", problem: .unknownArchitecture("SCMP_ARCH_NOSUCH"))) {
            try SeccompFilter.Prepared(ruleSet, source: "p.json")
        }
    }

    @Test func malformedProfileFailsBeforeAnythingIsBuilt() throws {
        let file = try SeccompTestFile("{ not json")
        defer { file.cleanup() }
        #expect {
            try SeccompFilter.prepare(.profile(file.path), capabilities: [])
        } throws: { error in
            guard case .malformedProfile(file.path, _) = error as? SeccompError else { return false }
            return true
        }
    }
}
