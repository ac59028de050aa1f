import BerthRuntime
import Glibc
import Testing

/// How a custom profile turns into rules, and the errors for what cannot be applied.
@Suite struct SeccompResolveTests {
    @Test func emptyProfileMeansNoFilter() throws {
        #expect(try resolveSeccompProfile("{}") == nil)
        #expect(try resolveSeccompProfile(#"{"defaultAction": "", "syscalls": []}"#) == nil)
    }

    @Test func actionsAndErrnoDefaults() throws {
        let rules = try #require(try resolveSeccompProfile("""
        {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
          {"names": ["a"], "action": "SCMP_ACT_KILL"}, {"names": ["b"], "action": "SCMP_ACT_KILL_PROCESS"},
          {"names": ["c"], "action": "SCMP_ACT_TRAP"}, {"names": ["d"], "action": "SCMP_ACT_TRACE", "errnoRet": 7},
          {"names": ["e"], "action": "SCMP_ACT_LOG"}, {"names": ["f"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
          {"names": ["g"], "action": "SCMP_ACT_KILL_THREAD"}, {"names": ["h"], "action": "SCMP_ACT_ALLOW"}
        ]}
        """))
        #expect(rules.defaultAction == .errno(1))  // EPERM when defaultErrnoRet is absent
        #expect(rules.rules.map(\.action) == [.killThread, .killProcess, .trap, .trace(7), .log, .errno(38), .killThread, .allow])
        #expect(rules.rules.map(\.action.rawValue) == [0, 0x8000_0000, 0x0003_0000, 0x7ff0_0007, 0x7ffc_0000, 0x0005_0026, 0, 0x7fff_0000])
    }

    @Test func rulesThatRepeatTheDefaultActionAreDropped() throws {
        let rules = try #require(try resolveSeccompProfile("""
        {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "syscalls": [
          {"names": ["mount"], "action": "SCMP_ACT_ERRNO"},
          {"names": ["umount2"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}
        ]}
        """))
        #expect(rules.rules == [SeccompRule(syscall: "umount2", action: .errno(38))])
    }

    @Test func conditionsOnDistinctArgumentsAreANDedInOneRule() throws {
        let rules = try #require(try resolveSeccompProfile("""
        {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["socket", "socketpair"], "action": "SCMP_ACT_ERRNO",
          "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_EQ"}, {"index": 1, "value": 1, "op": "SCMP_CMP_NE"}]}]}
        """))
        let both = [SeccompCondition(index: 0, op: .equal, value: 40), SeccompCondition(index: 1, op: .notEqual, value: 1)]
        #expect(rules.rules == [
            SeccompRule(syscall: "socket", action: .errno(1), conditions: both),
            SeccompRule(syscall: "socketpair", action: .errno(1), conditions: both),
        ])
    }

    @Test func conditionsOnTheSameArgumentBecomeSeparateRules() throws {
        let rules = try #require(try resolveSeccompProfile("""
        {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ALLOW",
          "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]}
        """))
        #expect(rules.rules.map(\.conditions) == [
            [SeccompCondition(index: 0, op: .equal, value: 0)], [SeccompCondition(index: 0, op: .equal, value: 8)],
        ])
    }

    @Test func includesNeedEveryConditionExcludesAnyOne() throws {
        let json = """
        {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
          {"names": ["both"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_A", "CAP_B"]}},
          {"names": ["notA"], "action": "SCMP_ACT_ALLOW", "excludes": {"caps": ["CAP_A", "CAP_Z"]}},
          {"names": ["x86only"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["x86", "amd64"]}},
          {"names": ["notAmd64"], "action": "SCMP_ACT_ALLOW", "excludes": {"arches": ["amd64"]}},
          {"names": ["new"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "6.18"}},
          {"names": ["old"], "action": "SCMP_ACT_ALLOW", "excludes": {"minKernel": "5.0"}}
        ]}
        """
        let onlyA = try #require(try resolveSeccompProfile(json, .amd64(["CAP_A"])))
        #expect(onlyA.rules.map(\.syscall) == ["x86only", "new"])
        let ab = try #require(try resolveSeccompProfile(json, .amd64(["CAP_A", "CAP_B"], kernel: .init(kernel: 4, major: 19))))
        #expect(ab.rules.map(\.syscall) == ["both", "x86only", "old"])
        let none = try #require(try resolveSeccompProfile(json, .amd64([])))
        #expect(none.rules.map(\.syscall) == ["notA", "x86only", "new"])
    }

    @Test func architecturesListIsTakenAsIs() throws {
        let rules = try #require(try resolveSeccompProfile(#"{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86"]}"#))
        #expect(rules.architectures == ["SCMP_ARCH_X86"])
    }

    @Test func explicitFlagsAreRequired() throws {
        let rules = try #require(try resolveSeccompProfile(
            #"{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_TSYNC"]}"#))
        #expect(rules.flags == [.log, .tsync])
        #expect(rules.flagsRequired)
        let none = try #require(try resolveSeccompProfile(#"{"defaultAction": "SCMP_ACT_ALLOW", "flags": []}"#))
        #expect(none.flags.isEmpty)
    }

    @Test(arguments: [
        (#"{"syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ALLOW"}]}"#, SeccompError.ProfileProblem.missingDefaultAction),
        (#"{"defaultAction": "SCMP_ACT_DENY"}"#, .unknownAction("SCMP_ACT_DENY", syscalls: [])),
        (#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_EPERM"}]}"#,
         .unknownAction("SCMP_ACT_EPERM", syscalls: ["getcwd"])),
        (#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_NOTIFY"}]}"#,
         .unsupportedAction("SCMP_ACT_NOTIFY", syscalls: ["getcwd"])),
        (#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_IS"}]}]}"#,
         .unknownOperator("SCMP_CMP_IS", syscalls: ["read"])),
        (#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}"#,
         .argumentIndexOutOfRange(6, syscalls: ["read"])),
        (#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 70000}]}"#,
         .errnoOutOfRange(70000, syscalls: ["read"])),
        (#"{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86"], "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": []}]}"#,
         .architecturesAndArchMap),
        (#"{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_Z80"]}"#, .unknownArchitecture("SCMP_ARCH_Z80")),
        (#"{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_FAST"]}"#, .unsupportedFlag("SECCOMP_FILTER_FLAG_FAST")),
        (#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"name": "read", "names": ["write"], "action": "SCMP_ACT_ERRNO"}]}"#,
         .nameAndNames("read")),
        (#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": [""], "action": "SCMP_ACT_ERRNO"}]}"#, .emptySyscallName),
        (#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "includes": {"minKernel": "4"}}]}"#,
         .invalidKernelVersion("4")),
    ])
    func invalidProfilesAreRefusedWithTheirProblem(_ json: String, _ problem: SeccompError.ProfileProblem) {
        #expect(throws: SeccompError.invalidProfile(source: "test.json", problem: problem)) {
            try resolveSeccompProfile(json)
        }
    }

    @Test func errorMessagesNameFileSyscallAndValue() {
        let unknown = SeccompError.invalidProfile(source: "/srv/p.json", problem: .unknownAction("SCMP_ACT_FOO", syscalls: ["getcwd"]))
        #expect(unknown.description.contains("/srv/p.json"))
        #expect(unknown.description.contains("SCMP_ACT_FOO"))
        #expect(unknown.description.contains("getcwd"))
        #expect(unknown.description.contains("SCMP_ACT_ERRNO"))  // lists what is valid
        let refused = SeccompError.loadFailed(errno: EACCES).description
        #expect(refused.contains("no_new_privs") && refused.contains("CAP_SYS_ADMIN"))
    }

    @Test(arguments: [("6.18.0-1-amd64", 6, 18), ("5.15.0-rc5", 5, 15), ("4.9", 4, 9), ("3.10.0-1160.el7.x86_64", 3, 10)])
    func kernelReleasesParse(_ release: String, _ kernel: UInt64, _ major: UInt64) {
        #expect(SeccompEnvironment.KernelVersion(release: release) == .init(kernel: kernel, major: major))
    }

    @Test func minKernelIsStrict() {
        #expect(SeccompEnvironment.KernelVersion(minKernel: "4.8") == .init(kernel: 4, major: 8))
        for bad in ["4", "4.8.1", "0.0", "a.b", "300.1", ""] {
            #expect(SeccompEnvironment.KernelVersion(minKernel: bad) == nil, "\(bad)")
        }
    }
}
