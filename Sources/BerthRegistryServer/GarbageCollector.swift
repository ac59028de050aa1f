import BerthOCI
import BerthStore
import Foundation
import Glibc

/// `berth registry gc`: frees blobs no manifest of any repository references.
///
/// Mark: from every repository's manifests (with `deleteUntagged`, only those a tag reaches, plus
/// manifests whose subject is marked), indexes lead to their manifests, manifests to their config,
/// layers and subject. Sweep: every other blob, and the repositories' links to it. It takes the
/// root's lock, so it refuses to run while `registry serve` has the root open (an upload in flight
/// could otherwise lose a blob its manifest is about to name).
public enum GarbageCollector {
    /// What a collection removed (or, with a dry run, would remove).
    public struct Report: Sendable {
        public var blobs: [Digest] = []
        public var bytes: Int64 = 0
        public var manifests: [String] = []
    }

    public static func run(root: String, dryRun: Bool, deleteUntagged: Bool) throws -> Report {
        guard FileSystem.exists("\(root)/repositories") else { throw RegistryServerError("\(root) is not a berth registry root (no repositories directory)") }
        let lock = try RootLock(root: root, purpose: "collecting garbage")
        defer { withExtendedLifetime(lock) {} }
        let storage = try RegistryStorage(root: root)
        var report = Report()
        var marked = Set<Digest>()
        for name in storage.repositories() {
            let linked = Set(storage.manifestDigests(name))
            var roots = linked
            if deleteUntagged {
                roots = Set((storage.tags(name) ?? []).compactMap { storage.readLink(storage.tagLink(name, $0)).flatMap { try? Digest(parsing: $0) } })
            }
            var live = Set<Digest>()
            func mark(_ digest: Digest) {
                guard linked.contains(digest), live.insert(digest).inserted else { return }
                marked.insert(digest)
                guard let data = try? storage.content.read(digest) else { return }
                switch try? ImageDocument.decode(data) {
                case .manifest(let manifest):
                    for blob in [manifest.config] + manifest.layers { marked.insert(blob.digest) }
                    if let subject = manifest.subject { mark(subject.digest) }
                case .index(let index):
                    for child in index.manifests { mark(child.digest) }
                case nil:
                    break
                }
            }
            for root in roots { mark(root) }
            // Referrers (signatures, SBOMs) live as long as their subject.
            var grew = true
            while grew {
                grew = false
                for subject in storage.entries("\(storage.repositoryDir(name))/_referrers") {
                    guard let subjectDigest = try? Digest(algorithm: "sha256", encoded: subject), live.contains(subjectDigest) else { continue }
                    for referrer in storage.entries(storage.referrersDir(name, subjectDigest)) {
                        guard let digest = try? Digest(algorithm: "sha256", encoded: referrer), !live.contains(digest), linked.contains(digest) else { continue }
                        mark(digest)
                        grew = true
                    }
                }
            }
            for digest in linked.subtracting(live).sorted() {
                report.manifests.append("\(name)@\(digest)")
                if !dryRun { unlink(storage.manifestLink(name, digest)) }
            }
        }
        let repositories = storage.repositories()
        for digest in storage.content.all().sorted() where !marked.contains(digest) {
            report.blobs.append(digest)
            report.bytes += storage.content.size(digest) ?? 0
            guard !dryRun else { continue }
            for name in repositories { _ = storage.unlinkBlob(name, digest) }
            storage.content.delete(digest)
        }
        return report
    }
}
