import CBerthSys
import Foundation
import Glibc
import Testing

@testable import BerthArchive

@Suite struct ExtractTests {
    struct FileCase: Sendable, CustomStringConvertible {
        let mode: Int
        let uid: Int
        let gid: Int
        let mtime: Int
        var description: String { "mode \(String(mode, radix: 8)) owner \(uid):\(gid)" }
    }

    @Test(arguments: [
        FileCase(mode: 0o644, uid: 0, gid: 0, mtime: 1_600_000_000),
        FileCase(mode: 0o600, uid: 1000, gid: 2000, mtime: 946_684_800),
        FileCase(mode: 0o4755, uid: 0, gid: 0, mtime: 1_700_000_123),
        FileCase(mode: 0o2751, uid: 33, gid: 50, mtime: 1),
        FileCase(mode: 0o1777, uid: 65534, gid: 65534, mtime: 2_000_000_000),
    ])
    func regularFileKeepsModeOwnerAndTime(_ c: FileCase) throws {
        let box = try Sandbox()
        let layer = try box.tar([.file("f", "hello\n", mode: c.mode, uid: c.uid, gid: c.gid, mtime: c.mtime)])
        let result = try box.extract(layer)
        let st = try #require(lstatOf(box.at("f")))
        #expect(st.st_mode & S_IFMT == S_IFREG)
        #expect(Int(st.st_mode & 0o7777) == c.mode)
        #expect(Int(st.st_uid) == c.uid)
        #expect(Int(st.st_gid) == c.gid)
        #expect(st.st_mtim.tv_sec == c.mtime)
        #expect(contents(box.at("f")) == "hello\n")
        #expect(result.contentSize == 6)
    }

    @Test func binaryContentIsWrittenByteForByte() throws {
        let box = try Sandbox()
        let bytes = Data((0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 8) })
        let layer = try box.tar([.file("bin/blob", bytes: bytes, mode: 0o755)])
        let result = try box.extract(layer)
        #expect(try Data(contentsOf: URL(fileURLWithPath: box.at("bin/blob"))) == bytes)
        #expect(result.contentSize == 200_000)
    }

    @Test func directoryTimeIsSetAfterItsChildren() throws {
        let box = try Sandbox()
        let layer = try box.tar([
            .dir("d", mode: 0o750, uid: 7, gid: 8, mtime: 1_234_567_890),
            .dir("d/sub", mtime: 1_111_111_111),
            .file("d/sub/f", "x"),
            .file("d/g", "y"),
            .symlink("d/l", to: "g"),
        ])
        _ = try box.extract(layer)
        let d = try #require(lstatOf(box.at("d")))
        #expect(d.st_mode & S_IFMT == S_IFDIR)
        #expect(d.st_mode & 0o7777 == 0o750)
        #expect(d.st_uid == 7 && d.st_gid == 8)
        #expect(d.st_mtim.tv_sec == 1_234_567_890)
        #expect(lstatOf(box.at("d/sub"))?.st_mtim.tv_sec == 1_111_111_111)
    }

    @Test func laterDirectoryEntryDecidesItsTime() throws {
        let box = try Sandbox()
        let layer = try box.tar([
            .dir("d", mode: 0o700, mtime: 1_000_000_000),
            .file("d/f", "x"),
            .dir("d", mode: 0o755, mtime: 1_500_000_000),
        ])
        _ = try box.extract(layer)
        let d = try #require(lstatOf(box.at("d")))
        #expect(d.st_mode & 0o7777 == 0o755)
        #expect(d.st_mtim.tv_sec == 1_500_000_000)
        #expect(contents(box.at("d/f")) == "x")
    }

    @Test func missingParentsAreCreated() throws {
        let box = try Sandbox()
        _ = try box.extract(try box.tar([.file("a/b/c/f", "deep")]))
        #expect(fileType(box.at("a/b")) == S_IFDIR)
        #expect(contents(box.at("a/b/c/f")) == "deep")
    }

    @Test func symlinkKeepsTargetOwnerAndTime() throws {
        let box = try Sandbox()
        let layer = try box.tar([
            .symlink("rel", to: "../../nowhere/x", uid: 1234, gid: 4321, mtime: 1_500_000_000),
            .symlink("abs", to: "/etc/passwd"),
        ])
        _ = try box.extract(layer)
        let st = try #require(lstatOf(box.at("rel")))
        #expect(st.st_mode & S_IFMT == S_IFLNK)
        #expect(linkTarget(box.at("rel")) == "../../nowhere/x")
        #expect(st.st_uid == 1234 && st.st_gid == 4321)
        #expect(st.st_mtim.tv_sec == 1_500_000_000)
        #expect(linkTarget(box.at("abs")) == "/etc/passwd")
    }

    @Test func hardlinkSharesTheInode() throws {
        let box = try Sandbox()
        let layer = try box.tar([
            .file("a/orig", "shared", mode: 0o640, uid: 5),
            .hardlink("b/link", to: "a/orig"),
            .hardlink("a/second", to: "./a/orig"),
        ])
        let result = try box.extract(layer)
        let orig = try #require(lstatOf(box.at("a/orig")))
        let link = try #require(lstatOf(box.at("b/link")))
        #expect(orig.st_ino == link.st_ino)
        #expect(lstatOf(box.at("a/second"))?.st_ino == orig.st_ino)
        #expect(orig.st_nlink == 3)
        #expect(contents(box.at("b/link")) == "shared")
        #expect(result.contentSize == 6)
    }

    struct DeviceCase: Sendable, CustomStringConvertible {
        let kind: TarEntry.Kind
        let type: mode_t
        let major: Int
        let minor: Int
        var description: String { "\(kind) \(major),\(minor)" }
    }

    @Test(arguments: [
        DeviceCase(kind: .char, type: S_IFCHR, major: 1, minor: 3),
        DeviceCase(kind: .char, type: S_IFCHR, major: 136, minor: 4095),
        DeviceCase(kind: .block, type: S_IFBLK, major: 8, minor: 1),
        DeviceCase(kind: .block, type: S_IFBLK, major: 259, minor: 70000),
        DeviceCase(kind: .fifo, type: S_IFIFO, major: 0, minor: 0),
    ])
    func devicesAndFifosKeepTypeAndNumbers(_ c: DeviceCase) throws {
        let box = try Sandbox()
        var entry = TarEntry.device("dev/node", c.kind, major: c.major, minor: c.minor, mode: 0o620)
        entry.uid = 3
        entry.gid = 5
        _ = try box.extract(try box.tar([entry]))
        let st = try #require(lstatOf(box.at("dev/node")))
        #expect(st.st_mode & S_IFMT == c.type)
        #expect(st.st_mode & 0o7777 == 0o620)
        #expect(st.st_uid == 3 && st.st_gid == 5)
        if c.kind != .fifo {
            #expect(Int(berth_major(st.st_rdev)) == c.major)
            #expect(Int(berth_minor(st.st_rdev)) == c.minor)
        }
    }

    @Test func absurdDeviceNumberIsRefusedNotATrap() throws {
        let box = try Sandbox()
        // GNU base-256 numeric fields let a header carry a major far beyond 32 bits.
        let layer = try box.tar([.device("dev/huge", .char, major: 1 << 40, minor: 1)], format: .gnu)
        let error = #expect(throws: ArchiveError.self) { try box.extract(layer) }
        #expect(error?.code == .malformed)
        #expect(error?.message.contains("dev/huge") == true)
    }

    static let longNames: [(TarFormat, String)] = {
        let over100 = "dir-" + String(repeating: "a", count: 60) + "/" + String(repeating: "b", count: 70) + ".txt"
        let over255 = (0..<5).map { "component-\($0)-" + String(repeating: "x", count: 60) }.joined(separator: "/") + "/file"
        let longLeaf = "d/" + String(repeating: "L", count: 200)
        return [(.pax, over100), (.gnu, over100), (.pax, over255), (.gnu, over255), (.pax, longLeaf), (.gnu, longLeaf)]
    }()

    @Test(arguments: longNames)
    func longNamesSurviveInPaxAndGnuForm(_ format: TarFormat, _ name: String) throws {
        let box = try Sandbox()
        let link = name + ".link"
        _ = try box.extract(try box.tar([.file(name, "long"), .symlink(link, to: name)], format: format))
        #expect(contents(box.at(name)) == "long")
        #expect(linkTarget(box.at(link)) == name)
    }

    @Test func nonASCIINamesAreKept() throws {
        let box = try Sandbox()
        _ = try box.extract(try box.tar([.file("café/naïve-日本.txt", "utf8")]))
        #expect(contents(box.at("café/naïve-日本.txt")) == "utf8")
    }

    @Test func userXattrsAreApplied() throws {
        let box = try Sandbox()
        let layer = try box.tar([
            .dir("d", xattrs: ["user.dir": "on-dir"]),
            .file("d/f", "x", xattrs: ["user.berth.test": "value-1", "user.other": "2"]),
        ])
        _ = try box.extract(layer)
        #expect(xattr(box.at("d/f"), "user.berth.test") == "value-1")
        #expect(xattr(box.at("d/f"), "user.other") == "2")
        #expect(xattr(box.at("d"), "user.dir") == "on-dir")
    }

    @Test func overlayXattrsInALayerAreIgnored() throws {
        let box = try Sandbox()
        let layer = try box.tar([.dir("d", xattrs: ["trusted.overlay.opaque": "y", "trusted.overlay.redirect": "/etc"])])
        _ = try box.extract(layer)
        #expect(xattr(box.at("d"), "trusted.overlay.opaque") == nil)
        #expect(xattr(box.at("d"), "trusted.overlay.redirect") == nil)
    }

    @Test func sparseFileKeepsSizeAndHoles() throws {
        let box = try Sandbox()
        let src = box.tars + "/sparse-src"
        try FileManager.default.createDirectory(atPath: src, withIntermediateDirectories: true)
        let size = 64 << 20
        let fd = open(src + "/big", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        try #require(fd >= 0)
        _ = "head".withCString { pwrite(fd, $0, 4, 0) }
        _ = "tail".withCString { pwrite(fd, $0, 4, off_t(size - 4)) }
        close(fd)
        let layer = box.tars + "/sparse.tar"
        try run("/usr/bin/tar", "--sparse", "--format=pax", "-C", src, "-cf", layer, "big")
        let result = try box.extract(layer)
        let st = try #require(lstatOf(box.at("big")))
        #expect(st.st_size == size)
        #expect(st.st_blocks * 512 < 1 << 20, "holes should stay holes")
        let data = try Data(contentsOf: URL(fileURLWithPath: box.at("big")))
        #expect(data.prefix(4) == Data("head".utf8))
        #expect(data.suffix(4) == Data("tail".utf8))
        #expect(data[1 << 20] == 0)
        #expect(result.contentSize == Int64(size))
        #expect(result.diffID.description == (try sha256sum(layer)))
    }

    @Test func plainBigFileIsWrittenWhole() throws {
        let box = try Sandbox()
        var bytes = Data(count: 12 << 20)
        bytes[bytes.count - 1] = 0x7a
        let result = try box.extract(try box.tar([.file("big", bytes: bytes)]))
        #expect(lstatOf(box.at("big"))?.st_size == 12 << 20)
        #expect(try Data(contentsOf: URL(fileURLWithPath: box.at("big"))).last == 0x7a)
        #expect(result.contentSize == 12 << 20)
    }

    static let emptyLayers: [(String, Data)] = [
        ("zero bytes", Data()),
        ("two zero blocks", Data(count: 1024)),
        ("a full zero record", Data(count: 10240)),
    ]

    @Test(arguments: emptyLayers)
    func emptyLayerExtractsToNothing(_ label: String, _ bytes: Data) throws {
        let box = try Sandbox()
        let layer = try box.layer(bytes: bytes)
        let result = try box.extract(layer)
        #expect(try FileManager.default.contentsOfDirectory(atPath: box.root).isEmpty)
        #expect(result.diffID.description == (try sha256sum(layer)))
        #expect(result.tarSize == Int64(bytes.count))
        #expect(result.contentSize == 0)
    }

    @Test func emptyTarfileArchiveExtractsToNothing() throws {
        let box = try Sandbox()
        let layer = try box.tar([])
        let result = try box.extract(layer)
        #expect(try FileManager.default.contentsOfDirectory(atPath: box.root).isEmpty)
        #expect(result.diffID.description == (try sha256sum(layer)))
    }

    @Test(arguments: [Squeeze.none, .gzip, .zstd])
    func diffIDIsTheDigestOfTheUncompressedTar(_ how: Squeeze) throws {
        let box = try Sandbox()
        let plain = try box.tar([.dir("etc"), .file("etc/hostname", "berth\n"), .file("bin/sh", String(repeating: "#!", count: 5000))])
        let layer = try box.compress(plain, how)
        let result = try box.extract(layer)
        let plainSize = try #require(lstatOf(plain)).st_size
        #expect(result.diffID.description == (try sha256sum(plain)))
        #expect(result.tarSize == Int64(plainSize))
        #expect(result.contentSize == 6 + 10000)
        #expect(contents(box.at("etc/hostname")) == "berth\n")
        if how != .none { #expect(result.diffID.description != (try sha256sum(layer))) }
    }

    @Test(arguments: [Squeeze.none, .gzip, .zstd], [512, 4096, 100_000])
    func zeroPaddingAfterEndOfArchiveCountsInDiffID(_ how: Squeeze, _ padding: Int) throws {
        let box = try Sandbox()
        let bare = try box.tar([.file("f", "x")])
        let plain = try box.tar([.file("f", "x")], padding: padding)
        let result = try box.extract(try box.compress(plain, how))
        #expect(result.diffID.description == (try sha256sum(plain)))
        #expect(result.diffID.description != (try sha256sum(bare)))
        #expect(result.tarSize == Int64(try #require(lstatOf(plain)).st_size))
    }

    @Test func extractFromADescriptorMatchesExtractFromAPath() throws {
        let box = try Sandbox()
        let layer = try box.compress(try box.tar([.file("f", "via fd")]), .gzip)
        let fd = open(layer, O_RDONLY)
        try #require(fd >= 0)
        defer { close(fd) }
        let result = try LayerExtractor.extract(fd: fd, into: box.root)
        #expect(contents(box.at("f")) == "via fd")
        #expect(result.contentSize == 6)
    }

    @Test func missingRootIsAnIOError() throws {
        let box = try Sandbox()
        let layer = try box.tar([.file("f")])
        let error = #expect(throws: ArchiveError.self) { try LayerExtractor.extract(layerPath: layer, into: box.root + "/absent") }
        #expect(error?.code == .io)
    }
}

@Suite struct ManyReplacementsTests {
    /// Thousands of entries replacing earlier ones (dirs by files, through symlinks) end in the
    /// right tree. How long it takes is for bench/, not a test.
    @Test func manyReplacementsExtractToTheLastEntryOfEachName() throws {
        let box = try Sandbox()
        let n = 2000
        var entries: [TarEntry] = []
        for i in 0..<n { entries += [.dir("d/\(i)", mtime: i + 1), .file("d/\(i)/f", "x")] }
        for i in 0..<n { entries += [.symlink("l/\(i)", to: "../d/\(i)"), .file("l/\(i)/g", "y")] }
        for i in 0..<n { entries += [.file("d/\(i)", "now a file"), .file("l/\(i)", "and this")] }
        let layer = try box.tar(entries)
        _ = try box.extract(layer)
        #expect(contents(box.at("d/\(n - 1)")) == "now a file")
        #expect(contents(box.at("l/0")) == "and this")
    }
}
