import BerthRuntime
import Foundation
import Testing

@testable import BerthEngine

/// berthd checks a user's seccomp profile before a shim reads it, naming where its JSON breaks.
struct SeccompProfileSyntaxTests {
    @Test func syntaxErrorsSayWhere() {
        let json = "{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n \"syscalls\": [ {\"names\": [\"getcwd\"],, } ]}"
        #expect {
            try SeccompProfile.checked(Data(json.utf8), source: "/etc/p.json")
        } throws: { error in
            guard case let .malformedProfile(path, reason) = error as? SeccompError else { return false }
            return path == "/etc/p.json" && reason.contains("line 2, column 37")
        }
    }

    @Test func aValidProfileDecodesAndWrongTypesKeepTheirFieldPath() throws {
        let good = #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_ERRNO"}]}"#
        #expect(try SeccompProfile.checked(Data(good.utf8), source: "p.json").syscalls?.count == 1)
        let bad = #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": "getcwd"}]}"#
        #expect {
            try SeccompProfile.checked(Data(bad.utf8), source: "p.json")
        } throws: { error in
            guard case let .malformedProfile(_, reason) = error as? SeccompError else { return false }
            return reason.contains("syscalls[0].names")
        }
    }
}
