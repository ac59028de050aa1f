import Foundation
import Glibc
import Testing

@testable import BerthArchive

@Suite struct WhiteoutTests {
    @Test(arguments: ["foo", "dir/foo", "a/b/c/.hidden"])
    func whiteoutBecomesOverlayCharDevice(_ path: String) throws {
        let box = try Sandbox()
        let parent = path.split(separator: "/").dropLast().joined(separator: "/")
        let name = String(path.split(separator: "/").last ?? "")
        let marker = (parent.isEmpty ? "" : parent + "/") + ".wh." + name
        _ = try box.extract(try box.tar([.file(marker)]))
        let st = try #require(lstatOf(box.at(path)))
        #expect(st.st_mode & S_IFMT == S_IFCHR)
        #expect(st.st_rdev == 0)
        #expect(lstatOf(box.at(marker)) == nil)
    }

    @Test func whiteoutReplacesAnEarlierEntryOfTheLayer() throws {
        let box = try Sandbox()
        _ = try box.extract(try box.tar([.dir("d"), .file("d/gone/deep", "x"), .file("d/.wh.gone")]))
        #expect(fileType(box.at("d/gone")) == S_IFCHR)
        #expect(lstatOf(box.at("d/gone"))?.st_rdev == 0)
    }

    @Test(arguments: ["d", "a/b", ""])
    func opaqueMarkerSetsTheOverlayXattrOnItsParent(_ dir: String) throws {
        let box = try Sandbox()
        let prefix = dir.isEmpty ? "" : dir + "/"
        _ = try box.extract(try box.tar([.file(prefix + ".wh..wh..opq"), .file(prefix + "kept", "k")]))
        let target = dir.isEmpty ? box.root : box.at(dir)
        #expect(xattr(target, "trusted.overlay.opaque") == "y")
        #expect(lstatOf(target + "/.wh..wh..opq") == nil)
        #expect(contents(target + "/kept") == "k")
    }

    @Test func otherAufsMetaEntriesAreIgnored() throws {
        let box = try Sandbox()
        _ = try box.extract(try box.tar([.dir(".wh..wh.plnk"), .file(".wh..wh.aufs"), .file("f", "x")]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: box.root) == ["f"])
    }

    @Test(arguments: [".wh.", ".wh..", ".wh...", "d/.wh..", "d/.wh...", "d/.wh."])
    func whiteoutOfDotDotDotOrNothingIsRefused(_ name: String) throws {
        let box = try Sandbox()
        let before = try box.outside()
        let layer = try box.tar([.dir("d"), .file("d/keep", "k"), .file(name)])
        let error = #expect(throws: ArchiveError.self) { try box.extract(layer) }
        #expect(error?.code == .escape)
        #expect(error?.message.contains(name) == true)
        #expect(contents(box.at("d/keep")) == "k")
        #expect(try box.outside() == before)
    }

    struct Replacement: Sendable, CustomStringConvertible {
        let label: String
        let entries: [TarEntry]
        let path: String
        let type: mode_t
        var description: String { label }
    }

    static let replacements: [Replacement] = [
        Replacement(label: "file over dir", entries: [.dir("x"), .file("x/child", "c"), .file("x", "file")], path: "x", type: S_IFREG),
        Replacement(label: "dir over file", entries: [.file("x", "file"), .dir("x"), .file("x/child", "c")], path: "x", type: S_IFDIR),
        Replacement(label: "symlink over dir", entries: [.dir("x"), .file("x/child", "c"), .symlink("x", to: "elsewhere")], path: "x", type: S_IFLNK),
        Replacement(label: "dir over symlink", entries: [.dir("t"), .symlink("x", to: "t"), .dir("x"), .file("x/child", "c")], path: "x", type: S_IFDIR),
        Replacement(label: "file over symlink", entries: [.file("t", "target"), .symlink("x", to: "t"), .file("x", "file")], path: "x", type: S_IFREG),
        Replacement(label: "file over file", entries: [.file("x", "old"), .file("x", "file")], path: "x", type: S_IFREG),
        Replacement(label: "fifo over dir", entries: [.dir("x/deep/er"), .device("x", .fifo)], path: "x", type: S_IFIFO),
        Replacement(label: "hardlink over file", entries: [.file("t", "file"), .file("x", "old"), .hardlink("x", to: "t")], path: "x", type: S_IFREG),
        Replacement(label: "file over nested dirs", entries: [.dir("x/a/b"), .file("x/a/b/c", "c"), .file("x", "file")], path: "x", type: S_IFREG),
    ]

    @Test(arguments: replacements)
    func laterEntryReplacesAnEarlierOne(_ r: Replacement) throws {
        let box = try Sandbox()
        _ = try box.extract(try box.tar(r.entries))
        #expect(fileType(box.at(r.path)) == r.type)
        switch r.type {
        case S_IFREG: #expect(contents(box.at(r.path)) == "file")
        case S_IFDIR: #expect(contents(box.at(r.path + "/child")) == "c")
        case S_IFLNK: #expect(linkTarget(box.at(r.path)) == "elsewhere")
        default: break
        }
    }

    @Test func directoryOverSymlinkGetsItsOwnChildren() throws {
        let box = try Sandbox()
        // `b -> a` is used as a path, then replaced by a real directory: later `b/...` must land in b.
        _ = try box.extract(try box.tar([.dir("a"), .symlink("b", to: "a"), .file("b/x", "via link"), .dir("b"), .file("b/y", "own")]))
        #expect(contents(box.at("a/x")) == "via link")
        #expect(fileType(box.at("b")) == S_IFDIR)
        #expect(contents(box.at("b/y")) == "own")
        #expect(lstatOf(box.at("a/y")) == nil)
    }

    @Test func directoryRemovedWhileReachedThroughASymlinkIsNotReused() throws {
        let box = try Sandbox()
        // `l -> a` caches a; then a is replaced by a directory of its own, and l/y must land in the new a.
        _ = try box.extract(try box.tar([.dir("a"), .symlink("l", to: "a"), .file("l/x", "1"), .file("a", "f"), .dir("a"), .file("l/y", "2")]))
        #expect(fileType(box.at("a")) == S_IFDIR)
        #expect(contents(box.at("a/y")) == "2")
        #expect(lstatOf(box.at("a/x")) == nil)
    }

    @Test func directoryWithTimesReplacedByAFileIsFine() throws {
        let box = try Sandbox()
        _ = try box.extract(try box.tar([.dir("a", mtime: 5), .dir("a/b", mtime: 6), .file("a", "file", mtime: 7)]))
        #expect(contents(box.at("a")) == "file")
        #expect(lstatOf(box.at("a"))?.st_mtim.tv_sec == 7)
    }

    @Test func directoryReplacedBySymlinkKeepsTheSymlinkTime() throws {
        let box = try Sandbox()
        _ = try box.extract(try box.tar([.dir("a", mtime: 5), .dir("a/b", mtime: 6), .symlink("a", to: "/", mtime: 7)]))
        #expect(linkTarget(box.at("a")) == "/")
        #expect(lstatOf(box.at("a"))?.st_mtim.tv_sec == 7)
    }
}
