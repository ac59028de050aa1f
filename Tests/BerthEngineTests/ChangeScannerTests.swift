@testable import BerthEngine
import BerthOCI
import CBerthSys
import Foundation
import Glibc
import Testing

/// `docker diff` from an upper dir over image layers, and the config `commit` writes.
@Suite(.serialized) struct ChangeScannerTests {
    typealias Layers = VolumeFillTests.Layers

    static func scan(_ l: Layers) throws -> [String] {
        try ChangeScanner.scan(upper: l.upper, layers: [l.lower]).map { "\($0.kind.letter) \($0.path)" }
    }

    /// A directory in the upper dir as overlay copies it up: same mode and times as below.
    static func copyUp(_ l: Layers, _ path: String) throws {
        try FileManager.default.createDirectory(atPath: "\(l.upper)\(path)", withIntermediateDirectories: true)
        var st = stat()
        #expect(stat("\(l.lower)\(path)", &st) == 0)
        #expect(chmod("\(l.upper)\(path)", st.st_mode & 0o7777) == 0)
        var times = [st.st_atim, st.st_mtim]
        #expect(utimensat(AT_FDCWD, "\(l.upper)\(path)", &times, 0) == 0)
    }

    @Test func additionsChangesAndDeletionsAreListedInNameOrderWithTheirParents() throws {
        let l = try Layers()
        try l.file("\(l.lower)/etc/passwd", "root")
        try l.file("\(l.lower)/etc/group", "root")
        try l.file("\(l.lower)/bin/ls", "ls")
        try l.file("\(l.lower)/bin/sh", "sh")
        try l.file("\(l.lower)/usr/share/doc/x", "x")
        try l.file("\(l.upper)/etc/passwd", "root\nnew")
        try FileManager.default.createDirectory(atPath: "\(l.upper)/bin", withIntermediateDirectories: true)
        l.whiteout("\(l.upper)/bin/ls")
        try l.file("\(l.upper)/new/deep/f", "f")
        try Self.copyUp(l, "/usr")
        try Self.copyUp(l, "/usr/share")
        try l.file("\(l.upper)/usr/share/added", "a")
        try Self.copyUp(l, "/usr")
        #expect(try Self.scan(l) == [
            "C /bin", "D /bin/ls", "C /etc", "C /etc/passwd", "A /new", "A /new/deep", "A /new/deep/f",
            "C /usr/share", "A /usr/share/added",
        ])
    }

    @Test func anOpaqueDirectoryThatHidImageContentIsDeletedThenRefilled() throws {
        let l = try Layers()
        try l.file("\(l.lower)/data/old", "old")
        try l.file("\(l.upper)/data/new", "new")
        l.opaque("\(l.upper)/data")
        #expect(try Self.scan(l) == ["D /data", "A /data/new"])
    }

    @Test func mountPointsOfTheInitLayerAreNotChanges() throws {
        let l = try Layers()
        try l.file("\(l.lower)/etc/passwd", "root")
        for d in ["/proc", "/sys", "/dev"] { try FileManager.default.createDirectory(atPath: "\(l.upper)\(d)", withIntermediateDirectories: true) }
        try FileManager.default.createDirectory(atPath: "\(l.upper)/etc", withIntermediateDirectories: true)
        for f in ["hosts", "hostname", "resolv.conf"] { try l.file("\(l.upper)/etc/\(f)", "") }
        #expect(try Self.scan(l).isEmpty, "what berth-shim creates to mount over is Docker's init layer")
        try l.file("\(l.upper)/etc/motd", "hi")
        #expect(try Self.scan(l) == ["C /etc", "A /etc/motd"])
    }

    @Test func noChangesIsAnEmptyList() throws {
        let l = try Layers()
        try l.file("\(l.lower)/a", "a")
        #expect(try Self.scan(l).isEmpty)
    }

    @Test func commitTakesTheContainerConfigWithChangesOnTop() throws {
        var container = DockerConfig()
        container.Cmd = ["sh"]
        container.Entrypoint = ["/init"]
        container.Env = ["PATH=/bin", "A=1"]
        container.Labels = ["l": "c"]
        container.User = "nobody"
        let plain = try Engine.commitConfig(container: container, request: nil, changes: [])
        #expect(plain.cmd == ["sh"] && plain.entrypoint == ["/init"] && plain.user == "nobody")
        let cmd = try Engine.commitConfig(container: container, request: nil, changes: ["CMD [\"echo\",\"hi\"]", "ENV A=2 B=3", "LABEL l=x"])
        #expect(cmd.cmd == ["echo", "hi"])
        #expect(cmd.entrypoint == ["/init"])
        #expect(cmd.env == ["PATH=/bin", "A=2", "B=3"])
        #expect(cmd.labels == ["l": "x"])
        // Docker: a request config with its own Entrypoint does not inherit the container's Cmd.
        var request = DockerConfig()
        request.Entrypoint = ["/other"]
        let own = try Engine.commitConfig(container: container, request: request, changes: [])
        #expect(own.entrypoint == ["/other"] && own.cmd == nil)
        #expect(own.env == ["PATH=/bin", "A=1"] && own.user == "nobody")
        #expect(throws: EngineError.self) { try Engine.commitConfig(container: container, request: nil, changes: ["RUN x"]) }
    }
}
