import BerthRuntime
import Foundation
import Testing

/// Reading Docker-format profile files: what decodes, and the errors a user sees otherwise.
@Suite struct SeccompProfileDecodingTests {
    @Test func decodesEveryDockerField() throws {
        let json = """
        {
          "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
          "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]},
                      {"architecture": "SCMP_ARCH_RISCV64", "subArchitectures": null}],
          "flags": ["SECCOMP_FILTER_FLAG_LOG"],
          "syscalls": [
            {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "comment": "io"},
            {"name": "getcwd", "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
            {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ"}],
             "includes": {"arches": ["amd64"], "minKernel": "4.8"}, "excludes": {"caps": ["CAP_SYS_ADMIN"]}}
          ],
          "someFutureField": true
        }
        """
        let profile = try SeccompProfile.decode(Data(json.utf8), path: "p.json")
        #expect(profile.defaultAction == "SCMP_ACT_ERRNO")
        #expect(profile.defaultErrnoRet == 1)
        #expect(profile.archMap?.count == 2)
        #expect(profile.archMap?[1].subArchitectures == nil)
        #expect(profile.flags == ["SECCOMP_FILTER_FLAG_LOG"])
        #expect(profile.syscalls?.count == 3)
        #expect(profile.syscalls?[1].name == "getcwd")
        #expect(profile.syscalls?[1].errnoRet == 38)
        #expect(profile.syscalls?[2].args == [SeccompProfile.Argument(index: 0, value: 2_114_060_288, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ")])
        #expect(profile.syscalls?[2].includes == SeccompProfile.Condition(arches: ["amd64"], minKernel: "4.8"))
        #expect(profile.syscalls?[2].excludes == SeccompProfile.Condition(caps: ["CAP_SYS_ADMIN"]))
    }

    @Test func dockerDefaultSurvivesAJSONRoundTrip() throws {
        let data = try JSONEncoder().encode(SeccompProfile.dockerDefault)
        #expect(try SeccompProfile.decode(data, path: "default.json") == SeccompProfile.dockerDefault)
    }

    @Test func malformedJSONNamesTheFile() throws {
        let file = try SeccompTestFile(#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": ["#)
        defer { file.cleanup() }
        do {
            _ = try SeccompProfile.load(path: file.path)
            Issue.record("malformed JSON was accepted")
        } catch {
            guard case let .malformedProfile(path, _) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(path == file.path)
            #expect(error.description.contains(file.path))
        }
    }

    @Test func syntaxErrorsAreMalformedProfiles() {
        let json = "{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n \"syscalls\": [ {\"names\": [\"getcwd\"],, } ]}"
        #expect {
            try SeccompProfile.decode(Data(json.utf8), path: "/etc/p.json")
        } throws: { error in
            guard case let .malformedProfile(path, reason) = error as? SeccompError else { return false }
            return path == "/etc/p.json" && reason.hasPrefix("invalid JSON")
        }
    }

    @Test func wrongTypeNamesTheField() throws {
        let json = #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": "two", "op": "SCMP_CMP_EQ"}]}]}"#
        #expect {
            try SeccompProfile.decode(Data(json.utf8), path: "/etc/p.json")
        } throws: { error in
            guard case let .malformedProfile(path, reason) = error as? SeccompError else { return false }
            return path == "/etc/p.json" && reason.contains("syscalls[0].args[0].value")
        }
    }

    @Test func missingFileNamesPathAndReason() {
        let path = "/nonexistent/berth/seccomp.json"
        #expect(throws: SeccompError.unreadableProfile(path: path, errno: ENOENT)) {
            try SeccompProfile.load(path: path)
        }
        let message = SeccompError.unreadableProfile(path: path, errno: ENOENT).description
        #expect(message.contains(path) && message.contains("No such file"))
    }

    @Test func oversizedFileIsRefused() throws {
        let file = try SeccompTestFile(String(repeating: " ", count: SeccompProfile.maximumFileSize + 1))
        defer { file.cleanup() }
        #expect {
            try SeccompProfile.load(path: file.path)
        } throws: { error in
            guard case .profileTooLarge(file.path, _) = error as? SeccompError else { return false }
            return true
        }
    }

    @Test func profileSettingReadsTheFile() throws {
        let file = try SeccompTestFile(#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}"#)
        defer { file.cleanup() }
        let rules = try SeccompFilter.ruleSet(for: .profile(file.path), environment: .amd64())
        #expect(rules == SeccompRuleSet(defaultAction: .allow, flags: [.specAllow], flagsRequired: false,
                                        rules: [SeccompRule(syscall: "getcwd", action: .errno(38))]))
    }
}
