import BerthOCI
import BerthStore
import Foundation
import Glibc
import Synchronization

/// The registry's files under its root: one content-addressed blob store shared by all repositories,
/// and per repository small link files naming what belongs to it.
///
/// ```
/// blobs/sha256/<hex>                              every blob and manifest, committed by rename after verification
/// ingest/                                         uploads in progress (removed at start)
/// repositories/<name>/_blobs/<hex>                the blob is part of this repository
/// repositories/<name>/_manifests/<hex>            a manifest of this repository; holds its media type
/// repositories/<name>/_tags/<tag>                 holds the digest the tag points to
/// repositories/<name>/_referrers/<subject>/<hex>  a manifest whose `subject` is <subject>
/// repositories/<name>/_stats.json                 pull counts and push times, for the HTML page
/// ```
/// Each link is written atomically (temp file, fsync, rename), so a killed server leaves either the
/// old state or the new one. Names of the `_` directories cannot collide with repository components,
/// which never start with `_`.
public final class RegistryStorage: Sendable {
    /// The registry's root directory.
    public let root: String
    let content: ContentStore
    /// Held while a manifest's blobs are checked and it is linked, and while a blob is checked
    /// and unlinked: a blob DELETE racing a manifest PUT cannot leave a manifest naming a blob
    /// its repository no longer has.
    let linking = Mutex(())

    /// Opens (creating) the layout under `root`.
    public init(root: String) throws {
        self.root = root
        content = try ContentStore(root: root)
        try FileSystem.makeDirectory("\(root)/repositories")
    }

    func repositoryDir(_ name: String) -> String { "\(root)/repositories/\(name)" }

    func blobLink(_ name: String, _ digest: Digest) -> String { "\(repositoryDir(name))/_blobs/\(digest.encoded)" }
    func manifestLink(_ name: String, _ digest: Digest) -> String { "\(repositoryDir(name))/_manifests/\(digest.encoded)" }
    func tagLink(_ name: String, _ tag: String) -> String { "\(repositoryDir(name))/_tags/\(tag)" }
    func referrersDir(_ name: String, _ subject: Digest) -> String { "\(repositoryDir(name))/_referrers/\(subject.encoded)" }

    /// Whether the repository has ever received a manifest or blob.
    func repositoryExists(_ name: String) -> Bool { FileSystem.exists(repositoryDir(name)) }

    /// The size of a blob of `name`, or nil when the repository does not have it.
    func blobSize(_ name: String, _ digest: Digest) -> Int64? {
        guard FileSystem.exists(blobLink(name, digest)) else { return nil }
        return content.size(digest)
    }

    /// Path of a committed blob.
    func blobPath(_ digest: Digest) -> String { content.path(digest) }

    /// Makes a committed blob part of repository `name`.
    func linkBlob(_ name: String, _ digest: Digest) throws {
        try writeLink(blobLink(name, digest), Data())
    }

    /// Removes a blob from repository `name` (its bytes stay until `registry gc`).
    func unlinkBlob(_ name: String, _ digest: Digest) -> Bool {
        unlink(blobLink(name, digest)) == 0
    }

    /// `DELETE` of a blob: refused while a manifest of the repository names it (or when it is
    /// itself a manifest, which is deleted through /manifests/), so no manifest is left pointing
    /// at a blob its repository lacks.
    func deleteBlob(_ name: String, _ digest: Digest) throws(RegistryError) {
        try linking.withLock { _ throws(RegistryError) in
            guard readLink(blobLink(name, digest)) != nil else { throw RegistryError(.blobUnknown, "blob unknown to registry: \(digest)") }
            for manifest in manifestDigests(name) {
                if manifest == digest {
                    throw RegistryError(.denied, "\(digest) is a manifest of \(name): delete it through /v2/\(name)/manifests/\(digest)", status: 409)
                }
                guard let data = try? content.read(manifest), case .manifest(let document)? = try? ImageDocument.decode(data),
                      ([document.config] + document.layers).contains(where: { $0.digest == digest }) else { continue }
                throw RegistryError(.denied, "blob \(digest) is used by manifest \(manifest) of \(name): delete that manifest first", status: 409)
            }
            guard unlinkBlob(name, digest) else { throw RegistryError(.blobUnknown, "blob unknown to registry: \(digest)") }
        }
    }

    /// Writes a link file atomically, creating its directory.
    func writeLink(_ path: String, _ data: Data) throws {
        let dir = (path as NSString).deletingLastPathComponent
        if !FileSystem.exists(dir) { try FileSystem.makeDirectory(dir, mode: 0o755) }
        try FileSystem.writeAtomically(data, to: path)
    }

    func readLink(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// Names of the entries of a directory, sorted; empty when it does not exist.
    func entries(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    /// Tags of a repository in lexical order, or nil when the repository is unknown.
    func tags(_ name: String) -> [String]? {
        guard repositoryExists(name) else { return nil }
        return entries("\(repositoryDir(name))/_tags")
    }

    /// Every repository name, sorted: directories holding `_manifests`, `_blobs` or `_tags`.
    public func repositories() -> [String] {
        var names: [String] = []
        func walk(_ dir: String, _ prefix: String) {
            let children = entries(dir)
            if children.contains(where: { $0.hasPrefix("_") }) { names.append(prefix) }
            for child in children where !child.hasPrefix("_") {
                var isDir: ObjCBool = false
                let path = "\(dir)/\(child)"
                if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
                    walk(path, prefix.isEmpty ? child : "\(prefix)/\(child)")
                }
            }
        }
        walk("\(root)/repositories", "")
        return names.filter { !$0.isEmpty }.sorted()
    }

    /// Digests of every manifest linked into repository `name`.
    func manifestDigests(_ name: String) -> [Digest] {
        entries("\(repositoryDir(name))/_manifests").compactMap { try? Digest(algorithm: "sha256", encoded: $0) }
    }
}
