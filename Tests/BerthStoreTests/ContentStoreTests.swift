import BerthOCI
import Foundation
import Testing

@testable import BerthStore

@Suite struct ContentStoreTests {
    static let payloads: [Data] = [
        Data(),
        Data("{\"schemaVersion\":2}".utf8),
        Data((0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }),
    ]

    @Test(arguments: payloads)
    func writtenBlobReadsBackUnderItsDigest(data: Data) throws {
        let tmp = try TempDir()
        let store = try ContentStore(root: tmp.path)
        let d = try store.write(data)
        #expect(d == Digest.sha256(of: data))
        #expect(store.exists(d))
        #expect(store.path(d) == tmp.at("blobs/sha256/\(d.encoded)"))
        #expect(try store.read(d) == data)
        #expect(store.size(d) == Int64(data.count))
        #expect(entries(tmp.at("ingest")).isEmpty)
    }

    @Test func writerCommitReportsDigestAndSizeOfEveryChunk() throws {
        let tmp = try TempDir()
        let store = try ContentStore(root: tmp.path)
        let writer = try store.writer()
        try writer.write(Data("hello ".utf8))
        try writer.write(Data("world".utf8))
        #expect(writer.count == 11)
        let (d, size) = try writer.commit(expected: digest(of: "hello world"), expectedSize: 11)
        #expect(d == digest(of: "hello world"))
        #expect(size == 11)
        #expect(try store.read(d) == Data("hello world".utf8))
    }

    @Test func mismatchedBlobIsNeverCommittedUnderADigest() throws {
        let tmp = try TempDir()
        let store = try ContentStore(root: tmp.path)
        let claimed = digest(of: "what the registry promised")
        let actual = digest(of: "what arrived")
        let error = #expect(throws: StoreError.self) {
            try store.write(Data("what arrived".utf8), expected: claimed)
        }
        #expect(error?.code == .invalid)
        #expect(error?.message.contains(claimed.description) == true)
        #expect(!store.exists(claimed))
        #expect(!store.exists(actual))
        #expect(store.all().isEmpty)
        #expect(entries(tmp.at("ingest")).isEmpty)
    }

    @Test(arguments: [Int64(0), 4, 6, 1 << 40])
    func sizeMismatchIsRefusedAndDiscarded(expectedSize: Int64) throws {
        let tmp = try TempDir()
        let store = try ContentStore(root: tmp.path)
        let writer = try store.writer()
        try writer.write(Data("abcde".utf8))
        let error = #expect(throws: StoreError.self) {
            try writer.commit(expected: digest(of: "abcde"), expectedSize: expectedSize)
        }
        #expect(error?.code == .invalid)
        #expect(!store.exists(digest(of: "abcde")))
        #expect(entries(tmp.at("ingest")).isEmpty)
    }

    @Test func droppedWriterLeavesNoIngestFile() throws {
        let tmp = try TempDir()
        let store = try ContentStore(root: tmp.path)
        do {
            let writer = try store.writer()
            try writer.write(Data("half a layer".utf8))
            #expect(entries(tmp.at("ingest")).count == 1)
        }
        #expect(entries(tmp.at("ingest")).isEmpty)
        #expect(store.all().isEmpty)
    }

    @Test func removeStaleIngestsClearsInterruptedWritesOnly() throws {
        let tmp = try TempDir()
        let store = try ContentStore(root: tmp.path)
        let kept = try store.write(Data("committed".utf8))
        for name in ["one", "two", UUID().uuidString] {
            try Data("partial".utf8).write(to: URL(fileURLWithPath: tmp.at("ingest/\(name)")))
        }
        store.removeStaleIngests()
        #expect(entries(tmp.at("ingest")).isEmpty)
        #expect(store.all() == [kept])
        #expect(try store.read(kept) == Data("committed".utf8))
    }

    @Test func allListsCommittedBlobsOnly() throws {
        let tmp = try TempDir()
        let store = try ContentStore(root: tmp.path)
        let a = try store.write(Data("a".utf8))
        let b = try store.write(Data("b".utf8))
        let pending = try store.writer()
        try pending.write(Data("in flight".utf8))
        // Not a digest name: a stray file must not turn into a bogus digest.
        try Data().write(to: URL(fileURLWithPath: tmp.at("blobs/sha256/not-a-digest")))
        #expect(Set(store.all()) == [a, b])
        let c = try pending.commit().digest
        #expect(Set(store.all()) == [a, b, c])
    }

    @Test func deleteRemovesTheBlob() throws {
        let tmp = try TempDir()
        let store = try ContentStore(root: tmp.path)
        let d = try store.write(Data("gone soon".utf8))
        store.delete(d)
        #expect(!store.exists(d))
        #expect(store.size(d) == nil)
        #expect(store.all().isEmpty)
    }

    @Test func readingAMissingBlobIsNotFound() throws {
        let tmp = try TempDir()
        let store = try ContentStore(root: tmp.path)
        let missing = digest(of: "never written")
        let error = #expect(throws: StoreError.self) { try store.read(missing) }
        #expect(error?.code == .notFound)
        #expect(error?.message.contains(missing.description) == true)
    }

    @Test func interleavedWritersOfTheSameContentBothCommit() throws {
        let tmp = try TempDir()
        let store = try ContentStore(root: tmp.path)
        let data = Data(repeating: 0x42, count: 100_000)
        let first = try store.writer()
        let second = try store.writer()
        try first.write(data.prefix(50_000))
        try second.write(data)
        try first.write(data.suffix(50_000))
        let d1 = try first.commit(expected: Digest.sha256(of: data)).digest
        let d2 = try second.commit(expected: Digest.sha256(of: data)).digest
        #expect(d1 == d2)
        #expect(store.all() == [d1])
        #expect(try store.read(d1) == data)
        #expect(entries(tmp.at("ingest")).isEmpty)
    }

    @Test func concurrentWritersOfTheSameContentAllSucceedAndLeaveOneBlob() async throws {
        let tmp = try TempDir()
        let store = try ContentStore(root: tmp.path)
        let data = Data((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        let digests = try await withThrowingTaskGroup(of: Digest.self) { group in
            for _ in 0..<8 { group.addTask { try store.write(data, expected: Digest.sha256(of: data)) } }
            var out: [Digest] = []
            for try await d in group { out.append(d) }
            return out
        }
        #expect(digests.count == 8)
        #expect(Set(digests) == [Digest.sha256(of: data)])
        #expect(store.all() == [Digest.sha256(of: data)])
        #expect(try store.read(Digest.sha256(of: data)) == data)
        #expect(entries(tmp.at("ingest")).isEmpty)
    }
}
