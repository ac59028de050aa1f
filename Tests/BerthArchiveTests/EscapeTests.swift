import Foundation
import Glibc
import Testing

@testable import BerthArchive

/// Hostile layers in the spirit of containerd's TestBreakouts. `@CANARY` stands for the absolute
/// path of the canary directory beside the root, `@CANARY_REL` for the same without its leading
/// slash; from the root, `../../canary` is the canary too.
@Suite struct EscapeTests {
    struct Attack: Sendable, CustomStringConvertible {
        let label: String
        let entries: [TarEntry]
        /// The entry the error must name.
        let offender: String
        var description: String { label }
    }

    static let attacks: [Attack] = [
        Attack(label: "dot-dot entry", entries: [.file("../x", "evil")], offender: "../x"),
        Attack(label: "absolute file", entries: [.file("@CANARY/abs", "evil")], offender: "@CANARY/abs"),
        Attack(label: "absolute overwrite", entries: [.file("@CANARY/file", "evil")], offender: "@CANARY/file"),
        Attack(label: "absolute dir", entries: [.dir("@CANARY/newdir")], offender: "@CANARY/newdir"),
        Attack(label: "dot-dot after a dir", entries: [.dir("a"), .file("a/../../x", "evil")], offender: "a/../../x"),
        Attack(label: "dot-dot into canary", entries: [.file("a/../../../canary/file", "evil")], offender: "a/../../../canary/file"),
        Attack(label: "symlink to / then through it", entries: [.symlink("a", to: "/"), .file("a/@CANARY_REL/x", "evil")], offender: "a/@CANARY_REL/x"),
        Attack(label: "symlink up and out", entries: [.symlink("a", to: "../.."), .file("a/canary/x", "evil")], offender: "a/canary/x"),
        Attack(label: "nested symlink up and out", entries: [.dir("b/c"), .symlink("b/c/up", to: "../../../.."), .file("b/c/up/canary/file", "evil")], offender: "b/c/up/canary/file"),
        Attack(label: "relative symlink beside root", entries: [.dir("x"), .symlink("x/l", to: "../../../canary"), .file("x/l/file", "evil")], offender: "x/l/file"),
        Attack(label: "symlink chain", entries: [.symlink("a", to: "b"), .symlink("b", to: "@CANARY"), .file("a/x", "evil")], offender: "a/x"),
        Attack(label: "absolute symlink overwrite", entries: [.symlink("a", to: "@CANARY"), .file("a/file", "evil")], offender: "a/file"),
        Attack(label: "symlink then deeper path", entries: [.symlink("a", to: "@CANARY"), .file("a/etc/passwd", "evil")], offender: "a/etc/passwd"),
        Attack(label: "dir through symlink", entries: [.symlink("a", to: "@CANARY"), .dir("a/newdir")], offender: "a/newdir"),
        Attack(label: "symlink through symlink", entries: [.symlink("a", to: "@CANARY"), .symlink("a/l", to: "/")], offender: "a/l"),
        Attack(label: "device through symlink", entries: [.symlink("a", to: "@CANARY"), .device("a/null", .char, major: 1, minor: 3)], offender: "a/null"),
        Attack(label: "fifo through symlink", entries: [.symlink("a", to: "@CANARY"), .device("a/fifo", .fifo)], offender: "a/fifo"),
        Attack(label: "dir replaced by symlink then used", entries: [.dir("d"), .file("d/x"), .symlink("d", to: "@CANARY"), .file("d/file", "evil")], offender: "d/file"),
        Attack(label: "hardlink dot-dot", entries: [.hardlink("h", to: "../../etc/passwd")], offender: "h"),
        Attack(label: "hardlink absolute", entries: [.hardlink("h", to: "/etc/passwd")], offender: "h"),
        Attack(label: "hardlink absolute canary", entries: [.hardlink("h", to: "@CANARY/file")], offender: "h"),
        Attack(label: "hardlink through symlinked parent", entries: [.symlink("a", to: "@CANARY"), .hardlink("h", to: "a/file")], offender: "h"),
        Attack(label: "hardlink through relative symlink", entries: [.symlink("a", to: "../../canary"), .hardlink("h", to: "a/etc/passwd")], offender: "h"),
        Attack(label: "hardlink placed through symlink", entries: [.file("t", "x"), .symlink("a", to: "@CANARY"), .hardlink("a/h", to: "t")], offender: "a/h"),
        Attack(label: "whiteout through symlink parent", entries: [.symlink("a", to: "@CANARY"), .file("a/.wh.file")], offender: "a/.wh.file"),
        Attack(label: "whiteout through relative symlink", entries: [.symlink("a", to: "../../canary"), .file("a/.wh.file")], offender: "a/.wh.file"),
        Attack(label: "whiteout with dot-dot", entries: [.file("a/../../canary/.wh.file")], offender: "a/../../canary/.wh.file"),
        Attack(label: "opaque through symlink", entries: [.symlink("a", to: "@CANARY"), .file("a/.wh..wh..opq")], offender: "a/.wh..wh..opq"),
        Attack(label: "opaque above root", entries: [.file("../.wh..wh..opq")], offender: "../.wh..wh..opq"),
    ]

    @Test(arguments: attacks)
    func hostileEntryIsRefusedAndNothingLeavesTheRoot(_ attack: Attack) throws {
        let box = try Sandbox()
        let before = try box.outside()
        let layer = try box.tar(attack.entries.map { $0.placed(in: box) })
        let error = #expect(throws: ArchiveError.self) { try box.extract(layer) }
        #expect(error?.code == .escape, "\(error?.message ?? "no error")")
        #expect(error?.message.contains("\"\(attack.offender.placed(in: box))") == true, "\(error?.message ?? "no error")")
        #expect(try box.outside() == before)
        #expect(xattr(box.canary, "trusted.overlay.opaque") == nil)
    }

    struct Contained: Sendable, CustomStringConvertible {
        let label: String
        let entries: [TarEntry]
        /// A path under the root and the file type the layer should leave there.
        let path: String
        let type: mode_t
        var description: String { label }
    }

    static let contained: [Contained] = [
        Contained(label: "dir over symlink", entries: [.symlink("a", to: "@CANARY"), .dir("a", mode: 0o777), .file("a/file", "inside")], path: "a/file", type: S_IFREG),
        Contained(label: "file over symlink to a file", entries: [.symlink("f", to: "@CANARY/file"), .file("f", "evil", mode: 0o777)], path: "f", type: S_IFREG),
        Contained(label: "hardlink to outside symlink with chmod", entries: [.symlink("s", to: "@CANARY/file"), .hardlink("h", to: "s", mode: 0o777)], path: "h", type: S_IFLNK),
        Contained(label: "hardlink to outside symlink then file over it", entries: [.symlink("s", to: "@CANARY/file"), .hardlink("h", to: "s", mode: 0o777), .file("h", "new", mode: 0o4777)], path: "h", type: S_IFREG),
        Contained(label: "hardlink to outside dir symlink", entries: [.symlink("s", to: "@CANARY"), .hardlink("h", to: "s", mode: 0o777), .dir("h", mode: 0o777)], path: "h", type: S_IFDIR),
        Contained(label: "whiteout over symlink", entries: [.symlink("a", to: "@CANARY"), .file(".wh.a")], path: "a", type: S_IFCHR),
        Contained(label: "device over symlink", entries: [.symlink("a", to: "@CANARY/file"), .device("a", .char, major: 1, minor: 3, mode: 0o666)], path: "a", type: S_IFCHR),
        Contained(label: "dir then symlink of same name", entries: [.dir("a", mtime: 5), .symlink("a", to: "@CANARY")], path: "a", type: S_IFLNK),
        Contained(label: "dir tree then symlink over it", entries: [.dir("a/etc", mtime: 5), .symlink("a", to: "@CANARY")], path: "a", type: S_IFLNK),
        Contained(label: "symlink with xattr-bearing dir over it", entries: [.symlink("a", to: "@CANARY"), .dir("a", xattrs: ["user.x": "1"])], path: "a", type: S_IFDIR),
    ]

    @Test(arguments: contained)
    func replacingALinkToTheOutsideNeverTouchesTheOutside(_ c: Contained) throws {
        let box = try Sandbox()
        let before = try box.outside()
        _ = try box.extract(try box.tar(c.entries.map { $0.placed(in: box) }))
        #expect(fileType(box.at(c.path)) == c.type)
        #expect(try box.outside() == before)
        #expect(contents(box.canary + "/file") == "canary\n")
        #expect(lstatOf(box.canary + "/file").map { $0.st_mode & 0o7777 } == 0o640)
    }

    @Test func hardlinkToAnOutsideSymlinkLinksTheSymlinkItself() throws {
        let box = try Sandbox()
        _ = try box.extract(try box.tar([TarEntry.symlink("s", to: "@CANARY/file"), .hardlink("h", to: "s", mode: 0o777)].map { $0.placed(in: box) }))
        #expect(linkTarget(box.at("h")) == box.canary + "/file")
        #expect(lstatOf(box.at("h"))?.st_ino == lstatOf(box.at("s"))?.st_ino)
    }
}

@Suite struct EntryPathTests {
    @Test(arguments: [
        ("a/b", ["a", "b"]), ("./a/./b/", ["a", "b"]), ("a//b", ["a", "b"]), (".", []), ("./", []),
        ("..foo/b..", ["..foo", "b.."]), (".wh..wh..opq", [".wh..wh..opq"]),
    ])
    func namesAreNormalisedToComponents(_ raw: String, _ components: [String]) throws {
        #expect(try EntryPath(raw).components == components)
    }

    @Test(arguments: ["/etc/passwd", "/", "..", "../x", "a/../b", "a/b/..", "./../x"])
    func namesLeavingTheRootAreRefused(_ raw: String) {
        let error = #expect(throws: ArchiveError.self) { try EntryPath(raw) }
        #expect(error?.code == .escape)
        #expect(error?.message.contains("\"\(raw)\"") == true)
    }
}

extension String {
    func placed(in box: Sandbox) -> String {
        replacingOccurrences(of: "@CANARY_REL", with: String(box.canary.dropFirst()))
            .replacingOccurrences(of: "@CANARY", with: box.canary)
    }
}

extension TarEntry {
    func placed(in box: Sandbox) -> TarEntry {
        var e = self
        e.name = name.placed(in: box)
        e.link = link.placed(in: box)
        return e
    }
}
