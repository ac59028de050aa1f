import CBerthSys
import Foundation
import Glibc
import Testing

@testable import BerthArchive

/// `docker cp` archives: what the tar of a path is called inside, and extraction into a
/// directory that never writes outside it.
@Suite struct CopyArchiveTests {
    /// The names in a tar, from Python's tarfile rather than our own reader.
    static func names(_ tar: String) throws -> [String] {
        let out = try run("/usr/bin/python3", "-c", "import sys,tarfile; print('\\n'.join(m.name + ('/' if m.isdir() else '') for m in tarfile.open(sys.argv[1])))", tar)
        return String(decoding: out, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    static func write(_ dir: String, name: String, as entry: String, to tar: String) throws -> Int64 {
        let dirFD = open(dir, berth_O_PATH | O_DIRECTORY | O_CLOEXEC)
        defer { close(dirFD) }
        let out = open(tar, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        defer { close(out) }
        return try CopyArchive.write(from: dirFD, name: name, as: entry, to: out)
    }

    static func extract(_ tar: String, into dir: String, _ options: CopyArchive.Options = CopyArchive.Options()) throws {
        let dirFD = open(dir, berth_O_PATH | O_DIRECTORY | O_CLOEXEC)
        defer { close(dirFD) }
        let fd = open(tar, O_RDONLY | O_CLOEXEC)
        defer { close(fd) }
        try CopyArchive.extract(from: fd, into: dirFD, options: options)
    }

    @Test(arguments: [
        // (entry name given, names in the tar): a directory's entries start with its name, `.`
        // for `dir/.`, and `/` for the root, as dockerd writes them.
        ("src", ["src/", "src/a", "src/sub/", "src/sub/b"]),
        (".", ["./", "./a", "./sub/", "./sub/b"]),
        ("/", ["/", "/a", "/sub/", "/sub/b"]),
    ])
    func aDirectoryIsArchivedUnderTheNameItIsGiven(_ entry: String, _ expected: [String]) throws {
        let box = try Sandbox()
        try FileManager.default.createDirectory(atPath: box.at("src/sub"), withIntermediateDirectories: true)
        try box.write(box.at("src/a"), "a", mode: 0o644)
        try box.write(box.at("src/sub/b"), "b", mode: 0o600)
        let tar = box.tars + "/out.tar"
        let written = try Self.write(box.at("src"), name: ".", as: entry, to: tar)
        #expect(try Self.names(tar) == expected)
        #expect(written == (try FileManager.default.attributesOfItem(atPath: tar)[.size] as? Int).map(Int64.init))
    }

    @Test func aSymlinkIsArchivedAsALinkNeverFollowed() throws {
        let box = try Sandbox()
        #expect(symlink(box.canary + "/file", box.at("link")) == 0)
        let tar = box.tars + "/out.tar"
        _ = try Self.write(box.root, name: "link", as: "renamed", to: tar)
        #expect(try Self.names(tar) == ["renamed"])
        let out = try Sandbox()
        try Self.extract(tar, into: out.root)
        #expect(linkTarget(out.at("renamed")) == box.canary + "/file")
    }

    @Test func extractionRenamesTheFirstElementAndKeepsOwnersUnlessTold() throws {
        let box = try Sandbox()
        let tar = try box.tar([.dir("src", uid: 1234, gid: 5678), .file("src/f", "x", uid: 1234, gid: 5678), .file("srcfile", "y")])
        var options = CopyArchive.Options()
        options.rename = ("src", "dst")
        try Self.extract(tar, into: box.root, options)
        #expect(contents(box.at("dst/f")) == "x")
        #expect(contents(box.at("dstfile")) == "y", "a prefix is renamed, as Docker's RebaseArchiveEntries does")
        #expect(lstatOf(box.at("dst/f")).map { ($0.st_uid, $0.st_gid) }! == (1234, 5678))

        let mine = try Sandbox()
        options.owner = .caller
        try Self.extract(tar, into: mine.root, options)
        #expect(lstatOf(mine.at("dst/f")).map { $0.st_uid } == getuid())
        let fixed = try Sandbox()
        options.owner = .fixed(uid: 42, gid: 43)
        try Self.extract(tar, into: fixed.root, options)
        #expect(lstatOf(fixed.at("dst/f")).map { ($0.st_uid, $0.st_gid) }! == (42, 43))
    }

    @Test func whiteoutNamesAreOrdinaryFilesInACopy() throws {
        let box = try Sandbox()
        try box.write(box.at("victim"), "stay", mode: 0o644)
        try Self.extract(try box.tar([.file(".wh.victim", "plain")]), into: box.root)
        #expect(contents(box.at("victim")) == "stay")
        #expect(contents(box.at(".wh.victim")) == "plain")
    }

    @Test func leadingSlashesMeanTheDestination() throws {
        let box = try Sandbox()
        let before = try box.outside()
        try Self.extract(try box.tar([.file("/abs", "inside"), .file("/etc/passwd", "inside too")]), into: box.root)
        #expect(contents(box.at("abs")) == "inside")
        #expect(contents(box.at("etc/passwd")) == "inside too")
        #expect(try box.outside() == before)
    }

    @Test(arguments: [
        ("dir over file", [TarEntry.dir("x")], "cannot overwrite non-directory \"/dest/x\" with directory \"/dest\""),
        ("file over dir", [TarEntry.file("d", "f")], "cannot overwrite directory \"/dest/d\" with non-directory \"/dest\""),
    ])
    func noOverwriteDirNonDirRefusesSwaps(_ label: String, _ entries: [TarEntry], _ message: String) throws {
        let box = try Sandbox()
        try box.write(box.at("x"), "file", mode: 0o644)
        try FileManager.default.createDirectory(atPath: box.at("d"), withIntermediateDirectories: false)
        var options = CopyArchive.Options()
        options.noOverwriteDirNonDir = true
        options.destinationName = "/dest"
        let error = #expect(throws: ArchiveError.self) { try Self.extract(try box.tar(entries), into: box.root, options) }
        #expect(error?.message == message)
        #expect(contents(box.at("x")) == "file")
        #expect(fileType(box.at("d")) == S_IFDIR)
        // Without the option the entry replaces what is there, as in Docker.
        try Self.extract(try box.tar(entries), into: box.root)
    }

    static let attacks: [(String, [TarEntry])] = [
        ("dot-dot", [.file("../x", "evil")]),
        ("dot-dot inside a name", [.dir("a"), .file("a/../../x", "evil")]),
        ("symlink to / then through it", [.symlink("a", to: "/"), .file("a/@CANARY_REL/x", "evil")]),
        ("symlink up and out", [.symlink("a", to: "../.."), .file("a/canary/x", "evil")]),
        ("absolute symlink", [.symlink("a", to: "@CANARY"), .file("a/file", "evil")]),
        ("hardlink out", [.hardlink("h", to: "../../canary/file")]),
        ("hardlink through a symlink", [.symlink("a", to: "@CANARY"), .hardlink("h", to: "a/file")]),
    ]

    @Test(arguments: attacks.indices)
    func hostileEntriesAreRefusedAndNothingOutsideChanges(_ i: Int) throws {
        let (label, entries) = Self.attacks[i]
        let box = try Sandbox()
        let before = try box.outside()
        let tar = try box.tar(entries.map { $0.placed(in: box) })
        #expect(throws: ArchiveError.self, "\(label)") { try Self.extract(tar, into: box.root) }
        #expect(try box.outside() == before, "\(label)")
        #expect(contents(box.canary + "/file") == "canary\n")
    }

    @Test func aSymlinkAlreadyInTheDestinationIsNotFollowedOut() throws {
        let box = try Sandbox()
        #expect(symlink(box.canary, box.at("out")) == 0)
        #expect(symlink("../../canary", box.at("up")) == 0)
        let before = try box.outside()
        for name in ["out/file", "up/file", "out/new"] {
            let error = #expect(throws: ArchiveError.self) { try Self.extract(try box.tar([.file(name, "evil")]), into: box.root) }
            #expect(error?.code == .escape, "\(name)")
        }
        #expect(try box.outside() == before)
    }

    @Test func onlyRegularFilesAreOpenedForReading() throws {
        let box = try Sandbox()
        #expect(mkfifo(box.at("fifo"), 0o644) == 0)
        #expect(symlink(box.canary + "/file", box.at("link")) == 0)
        try box.write(box.at("plain"), "data", mode: 0o600)
        let dir = open(box.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        defer { close(dir) }
        // Opening the fifo for reading would block until a writer came; it is not opened at all.
        #expect(RegularFile.open(dir, "fifo") == -1 && errno == EINVAL)
        #expect(RegularFile.open(dir, "link") == -1, "a symlink is not followed")
        let fd = RegularFile.open(dir, "plain")
        #expect(fd >= 0)
        var buf = [UInt8](repeating: 0, count: 8)
        #expect(read(fd, &buf, 8) == 4)
        close(fd)
    }
}
