@testable import BerthRegistryServer
import BerthOCI
import Foundation
import Testing

@Suite struct RegistryStorageTests {
    let root = NSTemporaryDirectory() + "berth-registry-\(UUID().uuidString)"

    /// Stores `data` as a blob of repository `name`, as a finished upload does.
    func upload(_ storage: RegistryStorage, _ name: String, _ data: Data) throws -> Descriptor {
        let digest = try storage.content.write(data)
        try storage.linkBlob(name, digest)
        return Descriptor(mediaType: MediaType.ociLayer, digest: digest, size: Int64(data.count))
    }

    func manifestData(config: Descriptor, layers: [Descriptor]) throws -> Data {
        var configDescriptor = config
        configDescriptor.mediaType = MediaType.ociConfig
        return try JSONEncoder().encode(Manifest(config: configDescriptor, layers: layers))
    }

    @Test func aBlobAManifestNamesCannotBeDeletedUntilTheManifestIs() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let storage = try RegistryStorage(root: root)
        let config = try upload(storage, "app", Data("{}".utf8))
        let layer = try upload(storage, "app", Data("layer".utf8))
        let spare = try upload(storage, "app", Data("spare".utf8))
        let (digest, _) = try storage.putManifest("app", reference: "1", data: try manifestData(config: config, layers: [layer]), contentType: MediaType.ociManifest)
        for used in [layer.digest, config.digest, digest] {
            #expect { try storage.deleteBlob("app", used) } throws: { error in
                guard let error = error as? RegistryError else { return false }
                return error.code == .denied && error.status == 409 && error.message.contains(digest.description)
            }
        }
        #expect(storage.blobSize("app", layer.digest) == 5)
        try storage.deleteBlob("app", spare.digest)
        #expect(storage.blobSize("app", spare.digest) == nil)
        #expect { try storage.deleteBlob("app", spare.digest) } throws: { ($0 as? RegistryError)?.code == .blobUnknown }
        try storage.deleteManifest("app", reference: digest.description)
        try storage.deleteBlob("app", layer.digest)
        #expect(storage.blobSize("app", layer.digest) == nil)
    }

    @Test func aManifestNamingAMissingBlobIsRefusedUntilTheBlobIsPushed() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let storage = try RegistryStorage(root: root)
        let config = try upload(storage, "app", Data("{}".utf8))
        let layer = Descriptor(mediaType: MediaType.ociLayer, digest: Digest.sha256(of: Data("layer".utf8)), size: 5)
        let data = try manifestData(config: config, layers: [layer])
        #expect {
            try storage.putManifest("app", reference: "1", data: data, contentType: MediaType.ociManifest)
        } throws: { ($0 as? RegistryError)?.code == .manifestBlobUnknown }
        #expect(storage.tags("app") == [])

        _ = try upload(storage, "app", Data("layer".utf8))
        let (digest, _) = try storage.putManifest("app", reference: "1", data: data, contentType: MediaType.ociManifest)
        #expect(try storage.manifest("app", reference: "1").digest == digest)
        #expect(try storage.manifest("app", reference: digest.description).mediaType == MediaType.ociManifest)
        #expect(storage.tags("app") == ["1"])
        #expect(storage.repositories() == ["app"])
    }

    @Test func aDigestReferenceMustMatchTheBytesAndTheDeclaredTypeTheDocument() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let storage = try RegistryStorage(root: root)
        let config = try upload(storage, "app", Data("{}".utf8))
        let data = try manifestData(config: config, layers: [])
        #expect {
            try storage.putManifest("app", reference: Digest.sha256(of: Data("other".utf8)).description, data: data, contentType: nil)
        } throws: { ($0 as? RegistryError)?.code == .digestInvalid }
        #expect {
            try storage.putManifest("app", reference: "1", data: data, contentType: MediaType.dockerManifestList)
        } throws: { ($0 as? RegistryError)?.code == .manifestInvalid }
        #expect {
            try storage.putManifest("app", reference: "1", data: Data(count: 4 * 1024 * 1024 + 1), contentType: nil)
        } throws: { ($0 as? RegistryError)?.status == 413 }
    }

    @Test func deletingAManifestByDigestRemovesItsTagsAndGCFreesOnlyItsOwnBlobs() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let storage = try RegistryStorage(root: root)
        let base = try upload(storage, "app", Data("base layer".utf8))
        let one = try upload(storage, "app", Data("layer of one".utf8))
        let two = try upload(storage, "app", Data("layer of two".utf8))
        let config1 = try upload(storage, "app", Data(#"{"n":1}"#.utf8))
        let config2 = try upload(storage, "app", Data(#"{"n":2}"#.utf8))
        let (digest1, _) = try storage.putManifest("app", reference: "1", data: try manifestData(config: config1, layers: [base, one]), contentType: nil)
        _ = try storage.putManifest("app", reference: "2", data: try manifestData(config: config2, layers: [base, two]), contentType: nil)

        try storage.deleteManifest("app", reference: digest1.description)
        #expect(storage.tags("app") == ["2"])
        let dry = try GarbageCollector.run(root: root, dryRun: true, deleteUntagged: false)
        #expect(Set(dry.blobs) == [one.digest, config1.digest, digest1])
        #expect(storage.content.exists(one.digest))

        let report = try GarbageCollector.run(root: root, dryRun: false, deleteUntagged: false)
        #expect(Set(report.blobs) == [one.digest, config1.digest, digest1])
        #expect(!storage.content.exists(one.digest) && storage.blobSize("app", one.digest) == nil)
        #expect(storage.blobSize("app", base.digest) == base.size && storage.blobSize("app", two.digest) == two.size)
        #expect(try storage.manifest("app", reference: "2").digest != digest1)
    }

    @Test func gcWithDeleteUntaggedDropsManifestsNoTagReaches() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let storage = try RegistryStorage(root: root)
        let config1 = try upload(storage, "app", Data(#"{"n":1}"#.utf8))
        let config2 = try upload(storage, "app", Data(#"{"n":2}"#.utf8))
        let (old, _) = try storage.putManifest("app", reference: "latest", data: try manifestData(config: config1, layers: []), contentType: nil)
        _ = try storage.putManifest("app", reference: "latest", data: try manifestData(config: config2, layers: []), contentType: nil)
        #expect(try GarbageCollector.run(root: root, dryRun: false, deleteUntagged: false).blobs.isEmpty)
        let report = try GarbageCollector.run(root: root, dryRun: false, deleteUntagged: true)
        #expect(report.manifests == ["app@\(old)"])
        #expect(Set(report.blobs) == [old, config1.digest])
    }

    @Test func gcRefusesARootAServerHolds() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        _ = try RegistryStorage(root: root)
        let lock = try RootLock(root: root, purpose: "serving it")
        #expect(throws: RegistryServerError.self) { try GarbageCollector.run(root: root, dryRun: true, deleteUntagged: false) }
        withExtendedLifetime(lock) {}
    }
}
