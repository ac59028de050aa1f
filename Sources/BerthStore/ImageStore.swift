import BerthOCI
import Foundation

/// The image index: image records and tags, persisted as one document replaced atomically,
/// so an image and its tags appear together or not at all.
public actor ImageStore {
    struct Document: Codable {
        var images: [String: ImageRecord] = [:]
        var tags: [String: Digest] = [:]
    }

    let path: String
    var doc: Document
    var leases: [UUID: Set<Digest>] = [:]

    public init(path: String) throws(StoreError) {
        self.path = path
        if let data = FileManager.default.contents(atPath: path) {
            let d = JSONDecoder()
            d.dateDecodingStrategy = .iso8601
            do { doc = try d.decode(Document.self, from: data) } catch {
                throw StoreError(.io, "image index \(path) is unreadable (\(error)); restore it from a backup or move it away to start empty")
            }
        } else {
            doc = Document()
        }
    }

    func persist() throws(StoreError) {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.dateEncodingStrategy = .iso8601
        let data: Data
        do { data = try e.encode(doc) } catch { throw StoreError(.io, "encode image index: \(error)") }
        try FileSystem.writeAtomically(data, to: path)
    }

    // MARK: reading

    public func images() -> [ImageRecord] { Array(doc.images.values) }

    public func image(_ id: Digest) -> ImageRecord? { doc.images[id.description] }

    /// Tags pointing at `id`, as references.
    public func tags(of id: Digest) -> [Reference] {
        doc.tags.compactMap { key, value in value == id ? try? Reference(parsing: key) : nil }
            .sorted { $0.description < $1.description }
    }

    public func allTags() -> [(Reference, Digest)] {
        doc.tags.compactMap { key, value in (try? Reference(parsing: key)).map { ($0, value) } }
    }

    /// Finds an image the way Docker does: `sha256:<id>`, `name[:tag]`, `name@digest`, or a
    /// unique id prefix.
    public func resolve(_ name: String) throws(StoreError) -> ImageRecord {
        if name.hasPrefix("sha256:"), let d = try? Digest(parsing: name), let img = doc.images[d.description] {
            return img
        }
        if let ref = try? Reference(parsing: name) {
            if let digest = ref.digest {
                let key = "\(ref.repository)@\(digest)"
                if let img = doc.images.values.first(where: { $0.repoDigests.contains(key) || ($0.id == digest) }) { return img }
            } else if let id = doc.tags[ref.defaultingTag.description], let img = doc.images[id.description] {
                return img
            }
        }
        let hex = name.hasPrefix("sha256:") ? String(name.dropFirst(7)) : name
        if !hex.isEmpty, hex.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) {
            let matches = doc.images.values.filter { $0.id.encoded.hasPrefix(hex) }
            if matches.count == 1 { return matches[0] }
            if matches.count > 1 {
                throw StoreError(.conflict, "image id prefix \(hex) is ambiguous: it matches \(matches.count) images; give more digits")
            }
        }
        throw StoreError(.notFound, "No such image: \(name)")
    }

    // MARK: writing

    /// Adds (or refreshes) an image and points `tags` at it, in one durable write.
    /// Returns the tags that moved away from another image.
    @discardableResult
    public func add(_ record: ImageRecord, tags: [Reference]) throws(StoreError) -> [Reference] {
        var record = record
        if let old = doc.images[record.id.description] {
            record.added = old.added
            record.repoDigests = Array(Set(old.repoDigests).union(record.repoDigests)).sorted()
        }
        let previous = doc
        doc.images[record.id.description] = record
        var moved: [Reference] = []
        for t in tags {
            let key = t.defaultingTag.description
            if let was = doc.tags[key], was != record.id { moved.append(t) }
            doc.tags[key] = record.id
        }
        do { try persist() } catch { doc = previous; throw error }
        return moved
    }

    public func tag(_ id: Digest, as ref: Reference) throws(StoreError) {
        guard doc.images[id.description] != nil else { throw StoreError(.notFound, "No such image: \(id)") }
        let previous = doc
        doc.tags[ref.defaultingTag.description] = id
        do { try persist() } catch { doc = previous; throw error }
    }

    /// Removes a tag; returns the image it pointed to.
    @discardableResult
    public func untag(_ ref: Reference) throws(StoreError) -> Digest {
        let key = ref.defaultingTag.description
        guard let id = doc.tags[key] else { throw StoreError(.notFound, "No such image: \(ref.familiar)") }
        let previous = doc
        doc.tags[key] = nil
        do { try persist() } catch { doc = previous; throw error }
        return id
    }

    /// Deletes an image record and every tag pointing at it.
    public func delete(_ id: Digest) throws(StoreError) {
        let previous = doc
        doc.images[id.description] = nil
        doc.tags = doc.tags.filter { $0.value != id }
        do { try persist() } catch { doc = previous; throw error }
    }

    // MARK: garbage collection

    /// Protects content an operation is still assembling from garbage collection.
    public func lease(_ digests: Set<Digest>) -> UUID {
        let id = UUID()
        leases[id] = digests
        return id
    }

    public func extend(_ lease: UUID, with digests: Set<Digest>) {
        leases[lease, default: []].formUnion(digests)
    }

    public func release(_ lease: UUID) { leases[lease] = nil }

    /// What a collection freed.
    public struct Collected: Sendable {
        public var blobs = 0
        public var snapshots = 0
        public var bytes: Int64 = 0
    }

    /// Deletes every blob and snapshot that no image and no lease references. Runs inside the
    /// actor so the index cannot change underneath it.
    public func collectGarbage(content: ContentStore, snapshots: SnapshotStore) -> Collected {
        var keep = Set<Digest>()
        for l in leases.values { keep.formUnion(l) }
        for img in doc.images.values {
            keep.insert(img.manifest.digest)
            keep.insert(img.id)
            for l in img.layers { keep.insert(l.digest) }
            keep.formUnion(img.chainIDs)
        }
        var out = Collected()
        for d in content.all() where !keep.contains(d) {
            out.bytes += content.size(d) ?? 0
            content.delete(d)
            out.blobs += 1
        }
        for c in snapshots.all() where !keep.contains(c) {
            out.bytes += snapshots.get(c)?.size ?? 0
            snapshots.delete(c)
            out.snapshots += 1
        }
        return out
    }
}
