@testable import BerthEngine
import BerthRuntime
import Foundation
import Testing

/// `--userns-remap` values against subid files written by the test.
struct UserNamespaceRemapTests {
    func files(_ subuid: String, _ subgid: String) throws -> (String, String, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("subid-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try subuid.write(toFile: "\(dir)/subuid", atomically: true, encoding: .utf8)
        try subgid.write(toFile: "\(dir)/subgid", atomically: true, encoding: .utf8)
        return (dir, "\(dir)/subuid", "\(dir)/subgid")
    }

    @Test func numericRangeMapsBothIDs() throws {
        let r = try UserNamespaceRemap.parse("300000:1000")
        #expect(r.uid == ContainerSpec.IDMap(containerID: 0, hostID: 300000, size: 1000))
        #expect(r.gid == r.uid)
        #expect(throws: EngineError.self) { try UserNamespaceRemap.parse("0:10") }
    }

    @Test func userAndGroupComeFromTheSubidFiles() throws {
        let (dir, u, g) = try files("alice:100000:65536\nbob:165536:65536\n", "staff:400000:1000\nbob:500000:65536\n")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try UserNamespaceRemap.parse("bob", subuid: u, subgid: g)
        #expect(r.uid.hostID == 165536 && r.gid.hostID == 500000)
        let s = try UserNamespaceRemap.parse("alice:staff", subuid: u, subgid: g)
        #expect(s.uid.hostID == 100000 && s.gid.hostID == 400000 && s.gid.size == 1000)
        #expect { try UserNamespaceRemap.parse("carol", subuid: u, subgid: g) } throws: { error in
            "\(error)".contains("has no range for carol")
        }
    }

    @Test func defaultAddsARangeAfterTheOthersOnce() throws {
        let (dir, u, g) = try files("alice:100000:65536\n", "")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try UserNamespaceRemap.parse("default", subuid: u, subgid: g)
        #expect(r.uid.hostID == 165536 && r.uid.size == 65536)
        #expect(r.gid.hostID == 100000)
        _ = try UserNamespaceRemap.parse("default", subuid: u, subgid: g)
        #expect(try String(contentsOfFile: u, encoding: .utf8) == "alice:100000:65536\nberthremap:165536:65536\n")
    }
}
