import BerthOCI
import Foundation
import Glibc

/// `berth system check`: reads the whole store back and lists what does not hold together.
/// Every blob must hash to its name and every image's manifest, config, layer blobs and
/// snapshot chain must be present and agree with each other.
public struct StoreCheck: Sendable {
    /// One finding, naming the object and what is wrong with it.
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        /// `blob sha256:…`, `image sha256:…`, `snapshot sha256:…`.
        public let object: String
        public let message: String
        public var description: String { "\(object): \(message)" }
    }

    public var blobs = 0
    public var images = 0
    public var snapshots = 0
    public var problems: [Problem] = []

    /// Checks `content` and `snapshots` against the image records `images`. Blocking: it
    /// re-reads every blob.
    public static func run(content: ContentStore, snapshots: SnapshotStore, images: [ImageRecord]) -> StoreCheck {
        var check = StoreCheck()
        check.checkBlobs(content)
        check.checkSnapshots(snapshots)
        for image in images.sorted(by: { $0.id < $1.id }) { check.checkImage(image, content: content, snapshots: snapshots) }
        return check
    }

    private mutating func report(_ object: String, _ message: String) {
        problems.append(Problem(object: object, message: message))
    }

    private mutating func checkBlobs(_ content: ContentStore) {
        let dir = "\(content.root)/blobs/sha256"
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted() {
            blobs += 1
            guard let digest = try? Digest(algorithm: "sha256", encoded: name) else {
                report("blob \(name)", "not a sha256 digest name")
                continue
            }
            switch Self.hash(file: content.path(digest)) {
            case .success(let actual) where actual == digest: break
            case .success(let actual): report("blob \(digest)", "content hashes to \(actual)")
            case .failure(let failure): report("blob \(digest)", failure.message)
            }
        }
    }

    private mutating func checkSnapshots(_ store: SnapshotStore) {
        for chainID in store.all().sorted() {
            snapshots += 1
            let object = "snapshot \(chainID)"
            guard let snap = store.get(chainID) else { report(object, "snapshot.json is missing or unreadable"); continue }
            if snap.chainID != chainID { report(object, "snapshot.json names \(snap.chainID)") }
            var isDir: ObjCBool = false
            if !FileManager.default.fileExists(atPath: store.diffPath(chainID), isDirectory: &isDir) || !isDir.boolValue {
                report(object, "its diff directory is missing")
            }
            let link = (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(store.root)/l/\(snap.link)")) ?? ""
            if link != "../\(chainID.encoded)/diff" { report(object, "short link l/\(snap.link) is missing or points elsewhere") }
            if let parent = snap.parent, !store.exists(parent) { report(object, "parent snapshot \(parent) is missing") }
        }
    }

    private mutating func checkImage(_ image: ImageRecord, content: ContentStore, snapshots: SnapshotStore) {
        images += 1
        let object = "image \(image.id)"
        if let data = try? content.read(image.manifest.digest) {
            if case .manifest(let m)? = try? ImageDocument.decode(data) {
                if m.config.digest != image.id { report(object, "manifest \(image.manifest.digest) names config \(m.config.digest)") }
                if m.layers.map(\.digest) != image.layers.map(\.digest) { report(object, "manifest \(image.manifest.digest) lists other layers") }
            } else {
                report(object, "manifest \(image.manifest.digest) is not an image manifest")
            }
        } else {
            report(object, "manifest blob \(image.manifest.digest) is missing")
        }
        if let data = try? content.read(image.id) {
            if let config = try? ImageConfig.decode(data) {
                if config.rootfs.diffIDs != image.diffIDs { report(object, "config diff_ids differ from the image record") }
            } else {
                report(object, "config \(image.id) does not decode")
            }
        } else {
            report(object, "config blob \(image.id) is missing")
        }
        if image.layers.count != image.diffIDs.count {
            report(object, "\(image.layers.count) layers but \(image.diffIDs.count) diff_ids")
        }
        for layer in image.layers where !content.exists(layer.digest) {
            report(object, "layer blob \(layer.digest) is missing")
        }
        var parent: Digest?
        for chainID in image.chainIDs {
            if let snap = snapshots.get(chainID) {
                if snap.parent != parent { report(object, "snapshot \(chainID) has parent \(snap.parent?.description ?? "none"), expected \(parent?.description ?? "none")") }
            } else {
                report(object, "layer snapshot \(chainID) is missing")
            }
            parent = chainID
        }
    }

    /// sha256 of a file, read in 1 MiB pieces.
    static func hash(file path: String) -> Result<Digest, HashFailure> {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return .failure(HashFailure("cannot open: \(String(cString: strerror(errno)))")) }
        defer { close(fd) }
        var hasher = DigestHasher()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(HashFailure("cannot read: \(String(cString: strerror(errno)))"))
            }
            if n == 0 { break }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[..<n])) }
        }
        return .success(hasher.finalize())
    }

    struct HashFailure: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }
}
