import BerthOCI
import Foundation
import Glibc

/// Immutable blobs by digest. A blob appears under its digest only after its bytes were
/// verified and fsynced, by rename: a crash never leaves a half blob under a digest name.
public final class ContentStore: Sendable {
    public let root: String
    var blobsDir: String { "\(root)/blobs/sha256" }
    var ingestDir: String { "\(root)/ingest" }

    public init(root: String) throws(StoreError) {
        self.root = root
        try FileSystem.makeDirectory("\(root)/blobs/sha256")
        try FileSystem.makeDirectory("\(root)/ingest")
    }

    public func path(_ digest: Digest) -> String { "\(root)/blobs/\(digest.algorithm)/\(digest.encoded)" }

    public func exists(_ digest: Digest) -> Bool { FileSystem.exists(path(digest)) }

    public func size(_ digest: Digest) -> Int64? {
        var st = stat()
        return stat(path(digest), &st) == 0 ? Int64(st.st_size) : nil
    }

    /// Reads a small blob (manifest, config) whole.
    public func read(_ digest: Digest) throws(StoreError) -> Data {
        guard let data = FileManager.default.contents(atPath: path(digest)) else {
            throw StoreError(.notFound, "blob \(digest) is not in the content store")
        }
        return data
    }

    /// Stores `data`, checking it against `expected` when given.
    @discardableResult
    public func write(_ data: Data, expected: Digest? = nil) throws(StoreError) -> Digest {
        let writer = try BlobWriter(store: self)
        try writer.write(data)
        return try writer.commit(expected: expected).digest
    }

    /// Starts writing a blob of unknown digest; `commit` names it.
    public func writer() throws(StoreError) -> BlobWriter { try BlobWriter(store: self) }

    /// A writer for a download of `digest` that survives interruption: the bytes of an earlier
    /// attempt (even one cut short by a crash) are kept in `ingest/<hex>.partial` and rehashed,
    /// so the caller can ask the registry for the rest only (`count` says how much is there).
    public func resumableWriter(for digest: Digest) throws(StoreError) -> BlobWriter {
        try BlobWriter(store: self, resuming: "\(ingestDir)/\(digest.encoded).partial")
    }

    public func delete(_ digest: Digest) { unlink(path(digest)) }

    /// Every committed blob.
    public func all() -> [Digest] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: blobsDir)) ?? []
        return names.compactMap { try? Digest(algorithm: "sha256", encoded: $0) }
    }

    /// Removes interrupted ingests (at daemon start, when no write can be in flight). Partial
    /// downloads are kept for a day, so a pull after a crash resumes where it stopped.
    public func removeStaleIngests(keepingPartialsFor age: TimeInterval = 86_400) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: ingestDir)) ?? [] {
            let p = "\(ingestDir)/\(name)"
            var st = stat()
            if name.hasSuffix(".partial"), stat(p, &st) == 0, Double(time(nil) - st.st_mtim.tv_sec) < age { continue }
            unlink(p)
        }
    }
}

/// An in-progress blob: bytes go to an ingest file while being hashed.
///
/// `@unchecked Sendable`: a writer is used by one task at a time, which may hand it to
/// `Blocking.run` for a write or the commit and awaits that before touching it again.
public final class BlobWriter: @unchecked Sendable {
    let store: ContentStore
    let tmpPath: String
    let fd: Int32
    var hasher = DigestHasher()
    var done = false
    /// A resumable ingest stays on failure, for the next attempt to continue.
    let keepOnFailure: Bool

    init(store: ContentStore) throws(StoreError) {
        self.store = store
        tmpPath = "\(store.ingestDir)/\(UUID().uuidString)"
        keepOnFailure = false
        fd = open(tmpPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystem.ioError("create \(tmpPath)") }
    }

    /// Opens (or creates) `path` and hashes what an earlier attempt left in it.
    init(store: ContentStore, resuming path: String) throws(StoreError) {
        self.store = store
        tmpPath = path
        keepOnFailure = true
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystem.ioError("open \(path)") }
        let size = 1 << 20
        let buf = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { buf.deallocate() }
        while true {
            let n = read(fd, buf, size)
            if n < 0 { if errno == EINTR { continue }; close(fd); throw FileSystem.ioError("read \(path)") }
            if n == 0 { break }
            hasher.update(UnsafeRawBufferPointer(start: buf, count: n))
        }
    }

    deinit {
        if !done {
            close(fd)
            if !keepOnFailure { unlink(tmpPath) }
        }
    }

    /// Drops what was written so far and starts again from byte 0.
    public func reset() throws(StoreError) {
        guard ftruncate(fd, 0) == 0, lseek(fd, 0, SEEK_SET) == 0 else { throw FileSystem.ioError("truncate \(tmpPath)") }
        hasher = DigestHasher()
    }

    /// Gives up on the blob: nothing of it stays, not even a resumable part.
    public func discard() {
        guard !done else { return }
        done = true
        close(fd)
        unlink(tmpPath)
    }

    public var count: Int64 { hasher.count }

    public func write(_ data: Data) throws(StoreError) {
        var failure: StoreError?
        data.withUnsafeBytes { buf in
            do throws(StoreError) { try write(buf) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    public func write(_ buf: UnsafeRawBufferPointer) throws(StoreError) {
        guard let base = buf.baseAddress else { return }
        var off = 0
        while off < buf.count {
            let n = Glibc.write(fd, base + off, buf.count - off)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileSystem.ioError("write blob")
            }
            off += n
        }
        hasher.update(buf)
    }

    /// Fills the blob with `body`, a writer that hashes what it writes itself (a layer tar
    /// written from a directory), then fsyncs and renames it under the digest `body` returns.
    @discardableResult
    public func commit(writtenBy body: (Int32) throws -> (digest: Digest, size: Int64)) throws -> (digest: Digest, size: Int64) {
        done = true
        defer { close(fd) }
        let written: (digest: Digest, size: Int64)
        do { written = try body(fd) } catch {
            unlink(tmpPath)
            throw error
        }
        guard fsync(fd) == 0 else { unlink(tmpPath); throw FileSystem.ioError("fsync blob") }
        guard rename(tmpPath, store.path(written.digest)) == 0 else { unlink(tmpPath); throw FileSystem.ioError("commit blob \(written.digest)") }
        try FileSystem.syncDirectory(store.blobsDir)
        return written
    }

    /// Verifies, fsyncs and renames into place. A mismatch with `expected` discards the bytes.
    @discardableResult
    public func commit(expected: Digest? = nil, expectedSize: Int64? = nil) throws(StoreError) -> (digest: Digest, size: Int64) {
        let digest = hasher.finalize()
        let size = hasher.count
        done = true
        defer { close(fd) }
        if let expected, expected != digest {
            unlink(tmpPath)
            throw StoreError(.invalid, "content digest mismatch: expected \(expected), got \(digest)")
        }
        if let expectedSize, expectedSize != size {
            unlink(tmpPath)
            throw StoreError(.invalid, "content size mismatch for \(digest): expected \(expectedSize) bytes, got \(size)")
        }
        guard fsync(fd) == 0 else { unlink(tmpPath); throw FileSystem.ioError("fsync blob") }
        guard rename(tmpPath, store.path(digest)) == 0 else { unlink(tmpPath); throw FileSystem.ioError("commit blob \(digest)") }
        try FileSystem.syncDirectory(store.blobsDir)
        return (digest, size)
    }
}
