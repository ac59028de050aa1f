import CBerthSys
import Foundation
import Glibc
import Testing

@testable import BerthArchive

/// An overlay upper dir with one of everything LayerWriter must carry: modes, owners, times,
/// xattrs, a hardlink pair, a symlink, devices, a FIFO, whiteouts and an opaque directory.
struct UpperDir {
    static let longName = String(repeating: "n", count: 200)

    static func build(at top: String) throws {
        func check(_ rc: Int32, _ what: String) throws {
            if rc != 0 { throw FixtureError(description: "\(what): \(String(cString: strerror(errno)))") }
        }
        func file(_ rel: String, _ content: String, mode: mode_t, uid: uid_t = 0, gid: gid_t = 0) throws {
            try Data(content.utf8).write(to: URL(fileURLWithPath: top + "/" + rel))
            try check(chown(top + "/" + rel, uid, gid), "chown \(rel)")
            try check(chmod(top + "/" + rel, mode), "chmod \(rel)")
        }
        func dir(_ rel: String, mode: mode_t, uid: uid_t = 0, gid: gid_t = 0) throws {
            try check(mkdir(top + "/" + rel, 0o700), "mkdir \(rel)")
            try check(chown(top + "/" + rel, uid, gid), "chown \(rel)")
            try check(chmod(top + "/" + rel, mode), "chmod \(rel)")
        }
        func setXattr(_ rel: String, _ key: String, _ value: String) throws {
            try check(BerthArchiveTests.setXattr(top + "/" + rel, key, value), "setxattr \(rel) \(key)")
        }
        func node(_ rel: String, _ kind: mode_t, _ major: UInt32, _ minor: UInt32, mode: mode_t) throws {
            try check(berth_mknodat(AT_FDCWD, top + "/" + rel, kind | mode, major, minor), "mknod \(rel)")
            try check(chmod(top + "/" + rel, mode), "chmod \(rel)")
        }

        try dir("bin", mode: 0o755)
        try file("bin/tool", "#!/bin/tool\n", mode: 0o4755)
        try setXattr("bin/tool", "user.role", "admin")
        try file("bin/pair-a", "pair", mode: 0o640, uid: 7, gid: 8)
        try check(link(top + "/bin/pair-a", top + "/bin/pair-b"), "link")
        try check(symlink("tool", top + "/bin/link"), "symlink")
        try check(lchown(top + "/bin/link", 10, 20), "lchown")
        try dir("etc", mode: 0o751, uid: 3, gid: 4)
        try setXattr("etc", "trusted.overlay.opaque", "y")
        try setXattr("etc", "user.note", "opaque dir")
        try file("etc/conf", "x=1\n", mode: 0o600, uid: 1000, gid: 1000)
        try node("etc/removed", S_IFCHR, 0, 0, mode: 0)
        try node("gone", S_IFCHR, 0, 0, mode: 0)
        try dir("dev", mode: 0o755)
        try node("dev/null", S_IFCHR, 1, 3, mode: 0o666)
        try node("dev/sda", S_IFBLK, 8, 0, mode: 0o660)
        try node("dev/fifo", S_IFIFO, 0, 0, mode: 0o620)
        try dir("empty", mode: 0o700, uid: 99, gid: 99)
        try dir("long", mode: 0o755)
        try file("long/" + longName, "long", mode: 0o644)
        try file("café.txt", "ünïcode", mode: 0o644)
        try file("zero", "", mode: 0o444)

        // Fixed times, set last and on directories after their children (whiteouts too: their
        // markers carry the device's time, which would differ between two trees built a second apart).
        for (rel, t) in [("bin/tool", 1_600_000_001), ("bin/pair-a", 1_600_000_002), ("bin/link", 1_600_000_003),
                         ("etc/conf", 1_600_000_004), ("dev/null", 1_600_000_005), ("dev/sda", 1_600_000_006),
                         ("dev/fifo", 1_600_000_007), ("long/" + longName, 1_600_000_008), ("café.txt", 1_600_000_009),
                         ("zero", 1_600_000_010), ("gone", 1_600_000_011), ("etc/removed", 1_600_000_012), ("bin", 1_500_000_001), ("etc", 1_500_000_002), ("dev", 1_500_000_003),
                         ("empty", 1_500_000_004), ("long", 1_500_000_005)] {
            var times = [timespec(tv_sec: t, tv_nsec: 0), timespec(tv_sec: t, tv_nsec: 123_456_789)]
            try check(utimensat(AT_FDCWD, top + "/" + rel, &times, AT_SYMLINK_NOFOLLOW), "utimensat \(rel)")
        }
    }
}

@Suite struct RoundTripTests {
    func writeLayer(_ dir: String, to path: String, _ how: LayerWriter.Compression) throws -> WriteResult {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        try #require(fd >= 0)
        defer { close(fd) }
        return try LayerWriter.write(directory: dir, to: fd, compression: how)
    }

    func upper(_ box: Sandbox) throws -> String {
        let src = box.base + "/upper"
        try FileManager.default.createDirectory(atPath: src, withIntermediateDirectories: false)
        try UpperDir.build(at: src)
        return src
    }

    /// Whiteouts are compared by type and number; overlay ignores their times.
    func comparable(_ tree: [String: String]) -> [String: String] {
        tree.mapValues { d in
            d.contains("rdev=0,0") ? d.replacingOccurrences(of: #" mtime=[0-9.]+"#, with: "", options: .regularExpression) : d
        }
    }

    static let compressions: [(LayerWriter.Compression, String)] = [(.none, "none"), (.gzip, "gzip"), (.zstd, "zstd")]

    @Test(arguments: compressions)
    func writtenUpperDirExtractsToTheSameTree(_ how: LayerWriter.Compression, _ label: String) throws {
        let box = try Sandbox()
        let src = try upper(box)
        let layer = box.tars + "/out.\(label)"
        let written = try writeLayer(src, to: layer, how)
        #expect(written.digest.description == (try sha256sum(layer)))
        #expect(written.size == Int64(try #require(lstatOf(layer)).st_size))

        let result = try box.extract(layer)
        let want = try Tree.snapshot(src)
        let got = try Tree.snapshot(box.root)
        #expect(comparable(got) == comparable(want))
        for key in Set(want.keys).union(got.keys) where comparable(want)[key] != comparable(got)[key] {
            Issue.record("\(key): wrote \(want[key] ?? "nothing"), extracted \(got[key] ?? "nothing")")
        }
        // The details that matter most, spelled out.
        #expect(xattr(box.at("etc"), "trusted.overlay.opaque") == "y")
        #expect(xattr(box.at("etc"), "user.note") == "opaque dir")
        #expect(xattr(box.at("bin/tool"), "user.role") == "admin")
        #expect(fileType(box.at("gone")) == S_IFCHR && lstatOf(box.at("gone"))?.st_rdev == 0)
        #expect(lstatOf(box.at("bin/pair-a"))?.st_ino == lstatOf(box.at("bin/pair-b"))?.st_ino)
        #expect(linkTarget(box.at("bin/link")) == "tool")
        #expect(lstatOf(box.at("bin/tool")).map { $0.st_mode & 0o7777 } == 0o4755)
        if how == .none { #expect(result.diffID == written.digest) }
    }

    @Test func layerNamesUseOverlayMarkersAsWhiteouts() throws {
        let box = try Sandbox()
        let layer = box.tars + "/names.tar"
        _ = try writeLayer(try upper(box), to: layer, .none)
        let script = "import sys, tarfile\nfor m in tarfile.open(sys.argv[1]): print(m.name)"
        let names = String(decoding: try run("/usr/bin/python3", "-c", script, layer), as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(names.contains(".wh.gone"))
        #expect(names.contains("etc/.wh.removed"))
        #expect(names.contains("etc/.wh..wh..opq"))
        #expect(!names.contains("gone") && !names.contains("etc/removed"))
        // Parents precede their children.
        for (i, name) in names.enumerated() {
            guard let slash = name.lastIndex(of: "/") else { continue }
            #expect(names[..<i].contains(String(name[..<slash])), "\(name) before its parent")
        }
    }

    @Test func layerCarriesNoVolatileHeaders() throws {
        let box = try Sandbox()
        let layer = box.tars + "/headers.tar"
        _ = try writeLayer(try upper(box), to: layer, .none)
        let script = """
            import sys, tarfile
            for m in tarfile.open(sys.argv[1]):
                for k in sorted(m.pax_headers): print(m.name + "\\t" + k)
            """
        let lines = String(decoding: try run("/usr/bin/python3", "-c", script, layer), as: UTF8.self).split(separator: "\n")
        for line in lines {
            let key = String(line.split(separator: "\t").last ?? "")
            #expect(!["atime", "ctime", "SCHILY.ino", "SCHILY.dev", "SCHILY.nlink", "LIBARCHIVE.creationtime"].contains(key), "\(line)")
        }
    }

    @Test(arguments: compressions)
    func writingTheSameTreeTwiceGivesTheSameDigest(_ how: LayerWriter.Compression, _ label: String) throws {
        let box = try Sandbox()
        let src = try upper(box)
        let first = try writeLayer(src, to: box.tars + "/first.\(label)", how)
        // Reading the files moved their atimes; a second later the clock has moved too.
        usleep(1_100_000)
        let second = try writeLayer(src, to: box.tars + "/second.\(label)", how)
        #expect(first.digest == second.digest)
        #expect(first.size == second.size)
    }

    @Test func equalTreesInDifferentPlacesGiveTheSameDigest() throws {
        let box = try Sandbox()
        let a = try upper(box)
        let b = box.base + "/upper-copy"
        try FileManager.default.createDirectory(atPath: b, withIntermediateDirectories: false)
        try UpperDir.build(at: b)
        let first = try writeLayer(a, to: box.tars + "/a.tar", .none)
        let second = try writeLayer(b, to: box.tars + "/b.tar", .none)
        #expect(first.digest == second.digest)
    }

    @Test func compressedLayersExtractToTheSameTreeAndDiffID() throws {
        let box = try Sandbox()
        let src = try upper(box)
        let plain = try writeLayer(src, to: box.tars + "/plain.tar", .none)
        var trees: [[String: String]] = []
        for (how, label) in Self.compressions {
            let layer = box.tars + "/variant.\(label)"
            let written = try writeLayer(src, to: layer, how)
            let into = box.base + "/w/" + label
            try FileManager.default.createDirectory(atPath: into, withIntermediateDirectories: false)
            let result = try LayerExtractor.extract(layerPath: layer, into: into)
            #expect(result.diffID == plain.digest, "\(label)")
            #expect(result.tarSize == plain.size, "\(label)")
            if how != .none { #expect(written.digest != plain.digest) }
            trees.append(comparable(try Tree.snapshot(into)))
        }
        #expect(trees.count == 3)
        #expect(trees.allSatisfy { $0 == trees[0] })
    }

    @Test func emptyDirectoryWritesAnEmptyLayer() throws {
        let box = try Sandbox()
        let src = box.base + "/nothing"
        try FileManager.default.createDirectory(atPath: src, withIntermediateDirectories: false)
        let layer = box.tars + "/empty.tar"
        let written = try writeLayer(src, to: layer, .none)
        let result = try box.extract(layer)
        #expect(result.diffID == written.digest)
        #expect(try FileManager.default.contentsOfDirectory(atPath: box.root).isEmpty)
    }

    @Test func missingDirectoryIsAnIOError() throws {
        let box = try Sandbox()
        let error = #expect(throws: ArchiveError.self) { _ = try writeLayer(box.base + "/absent", to: box.tars + "/x.tar", .none) }
        #expect(error?.code == .io)
    }

    @Test func unwritableDestinationIsAnIOError() throws {
        let box = try Sandbox()
        let src = try upper(box)
        let fd = open("/dev/null", O_RDONLY | O_CLOEXEC)
        try #require(fd >= 0)
        defer { close(fd) }
        let error = #expect(throws: ArchiveError.self) { try LayerWriter.write(directory: src, to: fd) }
        #expect(error?.code == .io, "\(error?.message ?? "")")
    }
}
