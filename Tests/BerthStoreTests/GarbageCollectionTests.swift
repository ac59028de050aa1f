import BerthOCI
import Foundation
import Testing

@testable import BerthStore

@Suite struct GarbageCollectionTests {
    /// Content store, snapshots and index side by side, as the daemon lays them out.
    struct Stores {
        let tmp: TempDir
        let content: ContentStore
        let snapshots: SnapshotStore
        let images: ImageStore

        init() throws {
            tmp = try TempDir()
            content = try ContentStore(root: tmp.at("content"))
            snapshots = try SnapshotStore(root: tmp.at("snapshots"))
            images = try ImageStore(path: tmp.at("images.json"))
        }

        func layer(_ entries: [TarEntry]) throws -> Layer { try Layer.make(entries, in: tmp.path) }

        /// Stores an image the way a pull does: layer blobs, unpacked snapshots, config, manifest, record.
        func image(_ name: String, layers: [Layer]) async throws -> ImageRecord {
            let chain = ChainID.of(layers.map(\.diffID))
            for (i, l) in layers.enumerated() {
                try content.write(l.bytes, expected: l.diffID)
                try snapshots.unpack(blobPath: l.path, chainID: chain[i], diffID: l.diffID, parent: i == 0 ? nil : chain[i - 1])
            }
            let config = try content.write(Data("{\"config\":\"\(name)\"}".utf8))
            let manifest = try content.write(Data("{\"manifest\":\"\(name)\",\"padding\":\"\(String(repeating: "m", count: 100))\"}".utf8))
            let rec = record(id: config, manifest: manifest, layers: layers.map(\.diffID))
            try await images.add(rec, tags: [ref(name)])
            return rec
        }

        func blobBytes(_ ds: [Digest]) -> Int64 { ds.reduce(0) { $0 + (content.size($1) ?? 0) } }
    }

    @Test func nothingReferencedIsCollected() async throws {
        let s = try Stores()
        let base = try s.layer([.file("etc/os-release", "ID=test\n")])
        try await _ = s.image("one", layers: [base])
        let blobs = Set(s.content.all())
        let snaps = Set(s.snapshots.all())
        let freed = await s.images.collectGarbage(content: s.content, snapshots: s.snapshots)
        #expect(freed.blobs == 0)
        #expect(freed.snapshots == 0)
        #expect(freed.bytes == 0)
        #expect(Set(s.content.all()) == blobs)
        #expect(Set(s.snapshots.all()) == snaps)
    }

    @Test func deletingOneOfTwoImagesKeepsTheSharedLayer() async throws {
        let s = try Stores()
        let shared = try s.layer([.file("shared/lib.so", String(repeating: "s", count: 1000))])
        let onlyA = try s.layer([.file("a/bin", String(repeating: "a", count: 300))])
        let onlyB = try s.layer([.file("b/bin", String(repeating: "b", count: 70))])
        let a = try await s.image("a", layers: [shared, onlyA])
        let b = try await s.image("b", layers: [shared, onlyB])
        let chainA = a.chainIDs
        let chainB = b.chainIDs
        #expect(chainA[0] == chainB[0])
        #expect(s.content.all().count == 7)
        #expect(s.snapshots.all().count == 3)

        let goneBlobs = [a.id, a.manifest.digest, onlyA.diffID]
        let expectedBytes = s.blobBytes(goneBlobs) + onlyA.contentSize
        try await s.images.delete(a.id)
        let freed = await s.images.collectGarbage(content: s.content, snapshots: s.snapshots)

        #expect(freed.blobs == 3)
        #expect(freed.snapshots == 1)
        #expect(freed.bytes == expectedBytes)
        #expect(Set(s.content.all()) == [shared.diffID, onlyB.diffID, b.id, b.manifest.digest])
        #expect(Set(s.snapshots.all()) == Set(chainB))
        for d in goneBlobs { #expect(!s.content.exists(d)) }
        #expect(!present(s.snapshots.dir(chainA[1])))
        // Only b's two snapshots keep a short link, both resolving.
        let links = entries(s.tmp.at("snapshots/l"))
        #expect(Set(links) == Set(chainB.compactMap { s.snapshots.get($0)?.link }))
        #expect(links.contains { FileManager.default.contents(atPath: s.tmp.at("snapshots/l/\($0)/shared/lib.so")) != nil })
        #expect(try await s.images.resolve("b").id == b.id)

        // Deleting the last image frees everything else.
        try await s.images.delete(b.id)
        let rest = await s.images.collectGarbage(content: s.content, snapshots: s.snapshots)
        #expect(rest.blobs == 4)
        #expect(rest.snapshots == 2)
        #expect(s.content.all().isEmpty)
        #expect(s.snapshots.all().isEmpty)
        #expect(entries(s.tmp.at("snapshots/l")).isEmpty)
    }

    @Test func leasedContentSurvivesUntilTheLeaseIsReleased() async throws {
        let s = try Stores()
        // A pull in progress: a layer blob written and unpacked, a config, no image record yet.
        let layer = try s.layer([.file("f", "12345")])
        try s.content.write(layer.bytes, expected: layer.diffID)
        try s.snapshots.unpack(blobPath: layer.path, chainID: layer.diffID, diffID: layer.diffID, parent: nil)
        let lease = await s.images.lease([layer.diffID])
        let config = try s.content.write(Data("{}".utf8))
        await s.images.extend(lease, with: [config])
        let stray = try s.content.write(Data("unreferenced".utf8))

        let during = await s.images.collectGarbage(content: s.content, snapshots: s.snapshots)
        #expect(during.blobs == 1)
        #expect(during.snapshots == 0)
        #expect(during.bytes == 12)
        #expect(!s.content.exists(stray))
        #expect(Set(s.content.all()) == [layer.diffID, config])
        #expect(s.snapshots.all() == [layer.diffID])

        await s.images.release(lease)
        let after = await s.images.collectGarbage(content: s.content, snapshots: s.snapshots)
        #expect(after.blobs == 2)
        #expect(after.snapshots == 1)
        #expect(after.bytes == Int64(layer.bytes.count) + 2 + 5)
        #expect(s.content.all().isEmpty)
        #expect(s.snapshots.all().isEmpty)
    }

    @Test func collectionLeavesInFlightWritesAndUnpacksAlone() async throws {
        let s = try Stores()
        let writer = try s.content.writer()
        try writer.write(Data("arriving".utf8))
        try FileManager.default.createDirectory(atPath: s.tmp.at("snapshots/tmp-inflight/diff"), withIntermediateDirectories: true)
        let freed = await s.images.collectGarbage(content: s.content, snapshots: s.snapshots)
        #expect(freed.blobs == 0)
        #expect(freed.snapshots == 0)
        #expect(present(s.tmp.at("snapshots/tmp-inflight/diff")))
        let d = try writer.commit(expected: digest(of: "arriving")).digest
        #expect(try s.content.read(d) == Data("arriving".utf8))
    }
}
