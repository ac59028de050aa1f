import BerthOCI
import Foundation
import Glibc
import Testing

@testable import BerthStore

/// `StoreCheck` (`berth system check`) on a two-layer image stored as a pull stores it.
@Suite struct StoreCheckTests {
    struct Fixture {
        let s: GarbageCollectionTests.Stores
        let record: ImageRecord
        let layers: [Layer]

        init() async throws {
            s = try GarbageCollectionTests.Stores()
            layers = [try s.layer([.file("etc/os-release", "ID=test\n")]), try s.layer([.file("app/bin", "#!/bin/sh\n")])]
            let chain = ChainID.of(layers.map(\.diffID))
            for (i, l) in layers.enumerated() {
                try s.content.write(l.bytes, expected: l.diffID)
                try s.snapshots.unpack(blobPath: l.path, chainID: chain[i], diffID: l.diffID, parent: i == 0 ? nil : chain[i - 1])
            }
            let config = ImageConfig(architecture: "amd64", os: "linux", config: nil, rootfs: .init(diffIDs: layers.map(\.diffID)), history: nil, created: nil)
            let configData = try JSONEncoder().encode(config)
            let configDigest = try s.content.write(configData)
            let descriptors = layers.map { Descriptor(mediaType: MediaType.ociLayer, digest: $0.diffID, size: Int64($0.bytes.count)) }
            let manifest = Manifest(config: Descriptor(mediaType: MediaType.ociConfig, digest: configDigest, size: Int64(configData.count)), layers: descriptors)
            let manifestData = try JSONEncoder().encode(manifest)
            let manifestDigest = try s.content.write(manifestData)
            record = ImageRecord(id: configDigest, manifest: Descriptor(mediaType: MediaType.ociManifest, digest: manifestDigest, size: Int64(manifestData.count)),
                                 layers: descriptors, diffIDs: layers.map(\.diffID), created: nil, size: 0, added: Date())
            try await s.images.add(record, tags: [ref("app:1")])
        }

        func check() async -> StoreCheck {
            StoreCheck.run(content: s.content, snapshots: s.snapshots, images: await s.images.images())
        }
    }

    @Test func aSoundStoreHasNoProblems() async throws {
        let f = try await Fixture()
        let check = await f.check()
        #expect(check.problems == [])
        #expect((check.blobs, check.images, check.snapshots) == (4, 1, 2))
    }

    @Test func aBlobThatNoLongerHashesToItsNameIsNamed() async throws {
        let f = try await Fixture()
        let path = f.s.content.path(f.layers[1].diffID)
        chmod(path, 0o644)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count / 2] ^= 1
        try bytes.write(to: URL(fileURLWithPath: path))
        let problems = await f.check().problems.map(\.description)
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("blob \(f.layers[1].diffID): content hashes to sha256:") == true, "\(problems)")
    }

    @Test func missingPiecesOfAnImageAreEachNamed() async throws {
        let f = try await Fixture()
        let chain = f.record.chainIDs
        f.s.content.delete(f.layers[0].diffID)
        f.s.snapshots.delete(chain[1])
        try "junk".write(toFile: "\(f.s.content.root)/blobs/sha256/not-a-digest", atomically: true, encoding: .utf8)
        let problems = Set(await f.check().problems.map(\.description))
        #expect(problems == [
            "blob not-a-digest: not a sha256 digest name",
            "image \(f.record.id): layer blob \(f.layers[0].diffID) is missing",
            "image \(f.record.id): layer snapshot \(chain[1]) is missing",
        ])
    }

    @Test func aSnapshotWithoutItsParentOrLinkIsNamed() async throws {
        let f = try await Fixture()
        let chain = f.record.chainIDs
        let child = try #require(f.s.snapshots.get(chain[1]))
        unlink("\(f.s.snapshots.root)/l/\(child.link)")
        f.s.snapshots.delete(chain[0])
        let problems = Set(await f.check().problems.map(\.description))
        #expect(problems.contains("snapshot \(chain[1]): short link l/\(child.link) is missing or points elsewhere"), "\(problems)")
        #expect(problems.contains("snapshot \(chain[1]): parent snapshot \(chain[0]) is missing"), "\(problems)")
        #expect(problems.contains("image \(f.record.id): layer snapshot \(chain[0]) is missing"), "\(problems)")
    }
}
