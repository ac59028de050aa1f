import BerthOCI
import Foundation
import Glibc
import Testing

@testable import BerthStore

@Suite struct SnapshotStoreTests {
    static let rootfs: [TarEntry] = [
        .dir("etc"),
        .file("etc/hostname", "berth\n"),
        .dir("bin"),
        .file("bin/sh", "#!/bin/true\n", mode: 0o755),
        .symlink("bin/ash", to: "sh"),
        .hardlink("bin/sh2", to: "bin/sh"),
    ]

    /// A short link must resolve to the snapshot's diff directory.
    func expectLink(_ store: SnapshotStore, _ snap: Snapshot, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let linkPath = "\(store.root)/\(store.shortLowerDir(snap))"
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: linkPath) == "../\(snap.chainID.encoded)/diff", sourceLocation: sourceLocation)
        let resolved = URL(fileURLWithPath: linkPath).resolvingSymlinksInPath().path
        let diff = URL(fileURLWithPath: store.diffPath(snap.chainID)).resolvingSymlinksInPath().path
        #expect(resolved == diff, sourceLocation: sourceLocation)
    }

    func expectNothingKept(_ store: SnapshotStore, _ chainID: Digest, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!present(store.dir(chainID)), sourceLocation: sourceLocation)
        #expect(!store.exists(chainID), sourceLocation: sourceLocation)
        #expect(entries(store.root) == ["l"], "no tmp-* left behind", sourceLocation: sourceLocation)
        #expect(entries("\(store.root)/l").isEmpty, "no dangling short link", sourceLocation: sourceLocation)
        #expect(store.all().isEmpty, sourceLocation: sourceLocation)
    }

    /// The snapshot root carries ext4's top-directory flag, so each unpack's directory lands in a
    /// block group of its own rather than among the inodes a just-deleted layer freed.
    @Test func snapshotRootSpreadsItsDirectoriesOverBlockGroups() throws {
        let tmp = try TempDir()
        let store = try SnapshotStore(root: tmp.at("snapshots"))
        let lsattr = Process()
        lsattr.executableURL = URL(fileURLWithPath: "/usr/bin/lsattr")
        lsattr.arguments = ["-d", store.root]
        let out = Pipe()
        lsattr.standardOutput = out
        lsattr.standardError = FileHandle.nullDevice
        try lsattr.run()
        lsattr.waitUntilExit()
        // Filesystems without inode flags (tmpfs, overlay) answer nothing to lsattr: no claim then.
        guard lsattr.terminationStatus == 0 else { return }
        let flags = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: " ").first ?? ""
        #expect(flags.contains("T"), "lsattr shows \(flags)")
    }

    @Test(arguments: Compression.allCases)
    func unpackedLayerHasItsFilesMetadataAndShortLink(compression: Compression) throws {
        let tmp = try TempDir()
        let store = try SnapshotStore(root: tmp.at("snapshots"))
        let layer = try Layer.make(Self.rootfs, in: tmp.path, compression: compression)
        let snap = try store.unpack(blobPath: layer.path, chainID: layer.diffID, diffID: layer.diffID, parent: nil)

        let diff = store.diffPath(layer.diffID)
        #expect(diff == tmp.at("snapshots/\(layer.diffID.encoded)/diff"))
        #expect(FileManager.default.contents(atPath: "\(diff)/etc/hostname") == Data("berth\n".utf8))
        #expect(FileManager.default.contents(atPath: "\(diff)/bin/sh2") == Data("#!/bin/true\n".utf8))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "\(diff)/bin/ash") == "sh")
        var st = stat()
        #expect(stat("\(diff)/bin/sh", &st) == 0)
        #expect(st.st_mode & 0o7777 == 0o755)
        #expect(st.st_nlink == 2)

        #expect(snap.chainID == layer.diffID)
        #expect(snap.diffID == layer.diffID)
        #expect(snap.parent == nil)
        #expect(snap.size == layer.contentSize)
        // The hard link shares bin/sh's bytes; only regular files written count.
        #expect(snap.size == 6 + 12)
        #expect(snap.link.count == 26)
        #expect(snap.link.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) })
        #expect(store.shortLowerDir(snap) == "l/\(snap.link)")

        let meta = try #require(FileManager.default.contents(atPath: tmp.at("snapshots/\(layer.diffID.encoded)/snapshot.json")))
        #expect(try JSONDecoder().decode(Snapshot.self, from: meta) == snap)
        #expect(store.get(layer.diffID) == snap)
        #expect(store.all() == [layer.diffID])
        try expectLink(store, snap)
        #expect(FileManager.default.contents(atPath: tmp.at("snapshots/l/\(snap.link)/etc/hostname")) == Data("berth\n".utf8))
        #expect(!entries(store.root).contains { $0.hasPrefix("tmp-") })
    }

    @Test func childSnapshotRecordsItsParent() throws {
        let tmp = try TempDir()
        let store = try SnapshotStore(root: tmp.at("snapshots"))
        let base = try Layer.make([.file("a", "1")], in: tmp.path)
        let top = try Layer.make([.file("b", "22")], in: tmp.path)
        let chain = ChainID.of([base.diffID, top.diffID])
        try store.unpack(blobPath: base.path, chainID: chain[0], diffID: base.diffID, parent: nil)
        let child = try store.unpack(blobPath: top.path, chainID: chain[1], diffID: top.diffID, parent: chain[0])
        #expect(child.parent == chain[0])
        #expect(child.diffID == top.diffID)
        #expect(child.size == 2)
        #expect(Set(store.all()) == Set(chain))
        #expect(entries(tmp.at("snapshots/l")).count == 2)
        try expectLink(store, child)
    }

    @Test func diffIDMismatchKeepsNothing() throws {
        let tmp = try TempDir()
        let store = try SnapshotStore(root: tmp.at("snapshots"))
        let layer = try Layer.make(Self.rootfs, in: tmp.path, compression: .gzip)
        let claimed = digest(of: "the diff_id the config claims")
        let error = #expect(throws: StoreError.self) {
            try store.unpack(blobPath: layer.path, chainID: claimed, diffID: claimed, parent: nil)
        }
        #expect(error?.code == .invalid)
        #expect(error?.message.contains(layer.diffID.description) == true)
        expectNothingKept(store, claimed)
        #expect(!present(store.dir(layer.diffID)))
    }

    @Test func unreadableBlobKeepsNothing() throws {
        let tmp = try TempDir()
        let store = try SnapshotStore(root: tmp.at("snapshots"))
        try Data("this is not a tar stream, not even close; it is long enough to not be empty".utf8)
            .write(to: URL(fileURLWithPath: tmp.at("garbage")))
        let chain = digest(of: "garbage")
        let error = #expect(throws: StoreError.self) {
            try store.unpack(blobPath: tmp.at("garbage"), chainID: chain, diffID: chain, parent: nil)
        }
        #expect(error?.code == .invalid)
        expectNothingKept(store, chain)
    }

    @Test func unpackingAnExistingChainIDReturnsItWithoutWork() throws {
        let tmp = try TempDir()
        let store = try SnapshotStore(root: tmp.at("snapshots"))
        let layer = try Layer.make(Self.rootfs, in: tmp.path)
        let first = try store.unpack(blobPath: layer.path, chainID: layer.diffID, diffID: layer.diffID, parent: nil)
        // The blob is gone: any attempt to read it again would fail.
        try FileManager.default.removeItem(atPath: layer.path)
        let again = try store.unpack(blobPath: layer.path, chainID: layer.diffID, diffID: layer.diffID, parent: nil)
        #expect(again == first)
        #expect(entries(tmp.at("snapshots/l")) == [first.link])
        #expect(entries(store.root).sorted() == ["l", layer.diffID.encoded].sorted())
    }

    @Test func concurrentUnpacksOfOneLayerAgreeAndLeaveOneLink() async throws {
        let tmp = try TempDir()
        let store = try SnapshotStore(root: tmp.at("snapshots"))
        let files = (0..<200).map { TarEntry.file("f\($0)", String(repeating: "x", count: $0)) }
        let layer = try Layer.make(files, in: tmp.path)
        let (path, diffID) = (layer.path, layer.diffID)
        let snaps = try await withThrowingTaskGroup(of: Snapshot.self) { group in
            for _ in 0..<4 {
                group.addTask { try store.unpack(blobPath: path, chainID: diffID, diffID: diffID, parent: nil) }
            }
            var out: [Snapshot] = []
            for try await s in group { out.append(s) }
            return out
        }
        let committed = try #require(store.get(diffID))
        #expect(snaps.count == 4)
        #expect(snaps.allSatisfy { $0 == committed })
        #expect(entries(tmp.at("snapshots/l")) == [committed.link])
        #expect(entries(store.root).sorted() == ["l", diffID.encoded].sorted())
        try expectLink(store, committed)
    }

    @Test func removeStaleClearsInterruptedUnpacksAndDanglingLinks() throws {
        let tmp = try TempDir()
        let store = try SnapshotStore(root: tmp.at("snapshots"))
        let layer = try Layer.make(Self.rootfs, in: tmp.path)
        let snap = try store.unpack(blobPath: layer.path, chainID: layer.diffID, diffID: layer.diffID, parent: nil)
        // What a crash mid-unpack leaves: a tmp dir with half a layer, and a link to nowhere.
        try FileManager.default.createDirectory(atPath: tmp.at("snapshots/tmp-interrupted/diff/usr"), withIntermediateDirectories: true)
        try Data("half".utf8).write(to: URL(fileURLWithPath: tmp.at("snapshots/tmp-interrupted/diff/usr/x")))
        #expect(symlink("../\(String(repeating: "e", count: 64))/diff", tmp.at("snapshots/l/DANGLINGDANGLINGDANGLING00")) == 0)
        #expect(store.all() == [layer.diffID])

        store.removeStale()
        #expect(entries(store.root).sorted() == ["l", layer.diffID.encoded].sorted())
        #expect(entries(tmp.at("snapshots/l")) == [snap.link])
        #expect(store.get(layer.diffID) == snap)
        try expectLink(store, snap)
    }

    @Test func deleteRemovesTheSnapshotAndItsLink() throws {
        let tmp = try TempDir()
        let store = try SnapshotStore(root: tmp.at("snapshots"))
        let keep = try Layer.make([.file("keep", "k")], in: tmp.path)
        let drop = try Layer.make(Self.rootfs, in: tmp.path)
        let kept = try store.unpack(blobPath: keep.path, chainID: keep.diffID, diffID: keep.diffID, parent: nil)
        try store.unpack(blobPath: drop.path, chainID: drop.diffID, diffID: drop.diffID, parent: nil)
        store.delete(drop.diffID)
        #expect(!present(store.dir(drop.diffID)))
        #expect(store.get(drop.diffID) == nil)
        #expect(store.all() == [keep.diffID])
        #expect(entries(tmp.at("snapshots/l")) == [kept.link])
    }

    struct Escape: Sendable, CustomStringConvertible {
        let description: String
        let entries: [TarEntry]
    }

    /// `@TMP` stands for the test's directory, which holds the victim file `x`.
    static let escapes: [Escape] = [
        Escape(description: "dot-dot", entries: [.file("../x", "evil")]),
        Escape(description: "dot-dot to the victim", entries: [.file("../../../x", "evil")]),
        Escape(description: "absolute", entries: [.file("@TMP/x", "evil")]),
        Escape(description: "dot-dot after a dir", entries: [.dir("a"), .file("a/../../../../x", "evil")]),
        Escape(description: "through a symlink", entries: [.symlink("up", to: "../../.."), .file("up/x", "evil")]),
        Escape(description: "hard link out", entries: [.hardlink("h", to: "../../../x")]),
    ]

    @Test(arguments: escapes)
    func escapingLayerIsRefusedAndNothingKept(escape: Escape) throws {
        let tmp = try TempDir()
        let store = try SnapshotStore(root: tmp.at("snapshots"))
        try Data("victim".utf8).write(to: URL(fileURLWithPath: tmp.at("x")))
        let hostile = escape.entries.map { e in
            var e = e
            e.name = e.name.replacingOccurrences(of: "@TMP", with: tmp.path)
            return e
        }
        let layer = try Layer.make(hostile, in: tmp.path, name: "layer")
        let error = #expect(throws: StoreError.self) {
            try store.unpack(blobPath: layer.path, chainID: layer.diffID, diffID: layer.diffID, parent: nil)
        }
        #expect(error?.code == .invalid)
        expectNothingKept(store, layer.diffID)
        #expect(FileManager.default.contents(atPath: tmp.at("x")) == Data("victim".utf8))
        #expect(entries(tmp.path) == ["layer.json", "layer.tar", "snapshots", "x"])
    }
}
