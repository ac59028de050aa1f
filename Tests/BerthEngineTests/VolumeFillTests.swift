@testable import BerthEngine
import CBerthSys
import Foundation
import Glibc
import Testing

/// Pre-filling a volume from overlay-form layer directories, without mounting them.
@Suite(.serialized) struct VolumeFillTests {
    /// A scratch directory with `lower`, `upper` and `volume` inside.
    final class Layers {
        let dir: String
        var lower: String { "\(dir)/lower" }
        var upper: String { "\(dir)/upper" }
        var volume: String { "\(dir)/volume" }

        init() throws {
            var template = Array("/tmp/berth-fill-XXXXXX".utf8CString)
            guard let p = mkdtemp(&template) else { throw POSIXError(.EIO) }
            dir = String(cString: p)
            for d in [lower, upper, volume] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        }

        deinit { try? FileManager.default.removeItem(atPath: dir) }

        func file(_ path: String, _ text: String) throws {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: false, encoding: .utf8)
        }

        func whiteout(_ path: String) { #expect(mknod(path, S_IFCHR, 0) == 0) }

        func opaque(_ path: String) {
            let fd = open(path, O_RDONLY | O_DIRECTORY)
            defer { close(fd) }
            #expect(berth_lsetxattrat(fd, ".", "trusted.overlay.opaque", "y", 1) == 0)
        }

        func fill(_ path: String) throws -> Bool { try VolumeFill.fill(volume: volume, from: [upper, lower], path: path) }

        func read(_ rel: String) -> String? { try? String(contentsOfFile: "\(volume)/\(rel)", encoding: .utf8) }

        var copied: Set<String> {
            Set(FileManager.default.enumerator(atPath: volume)?.compactMap { $0 as? String } ?? [])
        }
    }

    @Test func theTopMostLayerWinsAndWhiteoutsAndOpaqueDirectoriesHide() throws {
        let l = try Layers()
        try l.file("\(l.lower)/data/a", "lower")
        try l.file("\(l.lower)/data/b", "b")
        try l.file("\(l.lower)/data/gone", "x")
        try l.file("\(l.lower)/data/opq/old", "old")
        try l.file("\(l.lower)/data/dir/keep", "keep")
        try l.file("\(l.upper)/data/a", "upper")
        l.whiteout("\(l.upper)/data/gone")
        try l.file("\(l.upper)/data/opq/new", "new")
        l.opaque("\(l.upper)/data/opq")
        try l.file("\(l.upper)/data/dir/added", "added")
        #expect(try l.fill("/data"))
        #expect(l.copied == ["a", "b", "opq", "opq/new", "dir", "dir/keep", "dir/added"])
        #expect(l.read("a") == "upper")
    }

    @Test func aWhiteoutOfTheDirectoryItselfMeansNothingToCopy() throws {
        let l = try Layers()
        try l.file("\(l.lower)/data/a", "a")
        l.whiteout("\(l.upper)/data")
        #expect(try l.fill("/data") == false)
        #expect(try l.fill("/missing") == false)
        #expect(l.copied.isEmpty)
    }

    @Test(arguments: ["../../../../../../etc", "/etc", "/etc/../../../etc"])
    func symlinksOnThePathResolveInsideTheImage(target: String) throws {
        let l = try Layers()
        try l.file("\(l.lower)/etc/marker", "from the image")
        #expect(symlink(target, "\(l.lower)/data") == 0)
        #expect(try l.fill("/data"))
        #expect(l.copied == ["marker"], "the image's /etc, never the host's")
    }

    @Test func linksInsideAreCopiedAsLinksAndHardLinksStayShared() throws {
        let l = try Layers()
        try l.file("\(l.lower)/data/f", "content")
        #expect(link("\(l.lower)/data/f", "\(l.lower)/data/g") == 0)
        #expect(symlink("/etc/shadow", "\(l.lower)/data/s") == 0)
        #expect(chown("\(l.lower)/data/f", 1000, 100) == 0)
        #expect(chmod("\(l.lower)/data", 0o2770) == 0)
        #expect(try l.fill("/data"))
        var f = stat(), g = stat(), root = stat()
        #expect(lstat("\(l.volume)/f", &f) == 0 && lstat("\(l.volume)/g", &g) == 0)
        #expect(f.st_ino == g.st_ino && f.st_uid == 1000 && f.st_gid == 100)
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: "\(l.volume)/s")) == "/etc/shadow")
        #expect(stat(l.volume, &root) == 0 && root.st_mode & 0o7777 == 0o2770)
    }

    @Test func aVolumeWithContentIsLeftAlone() throws {
        let l = try Layers()
        try l.file("\(l.lower)/data/a", "image")
        try l.file("\(l.volume)/mine", "user")
        #expect(try l.fill("/data") == false)
        #expect(l.copied == ["mine"])
    }

    @Test func aSymlinkLoopIsRefused() throws {
        let l = try Layers()
        #expect(symlink("/data", "\(l.lower)/data") == 0)
        #expect(throws: EngineError.self) { try l.fill("/data") }
    }
}
