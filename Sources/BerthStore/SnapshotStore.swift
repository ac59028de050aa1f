import BerthArchive
import BerthOCI
import Foundation
import Glibc

/// An unpacked layer: an overlay lowerdir named by its chain id.
public struct Snapshot: Codable, Sendable, Hashable {
    public let chainID: Digest
    public let diffID: Digest
    public let parent: Digest?
    /// Bytes of file content in this layer alone.
    public let size: Int64
    /// Short name under `layers/l/`, so a mount option with 100+ lowerdirs stays under a page.
    public let link: String
}

/// Unpacked layers shared by every image that has them. A snapshot is unpacked into a
/// temporary directory, synced, and only then renamed to its chain id.
public final class SnapshotStore: Sendable {
    public let root: String

    public init(root: String) throws(StoreError) {
        self.root = root
        try FileSystem.makeDirectory("\(root)/l")
        FileSystem.spreadSubdirectories(root)
    }

    func dir(_ chainID: Digest) -> String { "\(root)/\(chainID.encoded)" }
    /// The directory holding the files of the snapshot (the overlay lowerdir).
    public func diffPath(_ chainID: Digest) -> String { "\(dir(chainID))/diff" }
    /// The lowerdir relative to `root`, via the short link: `l/ABCDEFGHIJKLMNOPQRSTUVWXYZ`.
    public func shortLowerDir(_ s: Snapshot) -> String { "l/\(s.link)" }

    public func get(_ chainID: Digest) -> Snapshot? {
        guard let data = FileManager.default.contents(atPath: "\(dir(chainID))/snapshot.json") else { return nil }
        return try? JSONDecoder().decode(Snapshot.self, from: data)
    }

    public func exists(_ chainID: Digest) -> Bool { get(chainID) != nil }

    /// Unpacks the layer blob at `blobPath` as `chainID` on top of `parent`. The diff_id of the
    /// uncompressed stream must equal `diffID`, or nothing is kept.
    @discardableResult
    public func unpack(blobPath: String, chainID: Digest, diffID: Digest, parent: Digest?) throws(StoreError) -> Snapshot {
        if let s = get(chainID) { return s }
        let tmp = "\(root)/tmp-\(UUID().uuidString)"
        try FileSystem.makeDirectory("\(tmp)/diff", mode: 0o755)
        var committed = false
        defer { if !committed { FileSystem.removeTree(tmp) } }
        let result: ExtractResult
        do { result = try LayerExtractor.extract(layerPath: blobPath, into: "\(tmp)/diff") } catch {
            throw StoreError(.invalid, "cannot unpack layer \(diffID.short): \(error.message)")
        }
        guard result.diffID == diffID else {
            throw StoreError(.invalid, "layer diff_id mismatch: the image config says \(diffID), the layer's uncompressed content is \(result.diffID)")
        }
        let link = Self.randomLink()
        let snap = Snapshot(chainID: chainID, diffID: diffID, parent: parent, size: result.contentSize, link: link)
        let meta: Data
        do { meta = try JSONEncoder().encode(snap) } catch { throw StoreError(.io, "encode snapshot: \(error)") }
        try FileSystem.writeAtomically(meta, to: "\(tmp)/snapshot.json")
        guard symlink("../\(chainID.encoded)/diff", "\(root)/l/\(link)") == 0 else { throw FileSystem.ioError("link snapshot") }
        if rename(tmp, dir(chainID)) != 0 {
            let renameErrno = errno
            unlink("\(root)/l/\(link)")
            // Another unpack of the same layer won the race; its result is equally valid.
            if renameErrno == EEXIST || renameErrno == ENOTEMPTY, let s = get(chainID) { return s }
            errno = renameErrno
            throw FileSystem.ioError("commit snapshot \(chainID)")
        }
        committed = true
        try FileSystem.syncDirectory(root)
        return snap
    }

    public func delete(_ chainID: Digest) {
        if let s = get(chainID) { unlink("\(root)/l/\(s.link)") }
        FileSystem.removeTree(dir(chainID))
    }

    /// Every committed snapshot's chain id.
    public func all() -> [Digest] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.compactMap { try? Digest(algorithm: "sha256", encoded: $0) }.filter { exists($0) }
    }

    /// Removes unpacks interrupted by a crash, and dangling short links.
    public func removeStale() {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] where name.hasPrefix("tmp-") {
            FileSystem.removeTree("\(root)/\(name)")
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "\(root)/l")) ?? [] {
            let p = "\(root)/l/\(name)"
            var st = stat()
            if stat(p, &st) != 0 { unlink(p) }
        }
    }

    static func randomLink() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return String((0..<26).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
    }
}
