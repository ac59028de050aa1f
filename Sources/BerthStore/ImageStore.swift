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
            d.dateDecodingStrategy = .custom(Self.decodeDate)
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
        e.dateEncodingStrategy = .custom(Self.encodeDate)
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
                // Stored familiar (`busybox@…`, as Docker's API shows them) or qualified: compare normalized.
                let matches = { (stored: String) -> Bool in
                    guard stored != key else { return true }
                    guard let r = try? Reference(parsing: stored) else { return false }
                    return r.repository == ref.repository && r.digest == digest
                }
                if let img = doc.images.values.first(where: { $0.repoDigests.contains(where: matches) || ($0.id == digest) }) { return img }
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

    /// Deletes an image record unless a lease holds it (a build in progress stands on it):
    /// whether it went. One call, so nothing can lease it between the check and the delete.
    public func deleteUnlessLeased(_ id: Digest) throws(StoreError) -> Bool {
        guard !leases.values.contains(where: { $0.contains(id) }) else { return false }
        try delete(id)
        return true
    }

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

extension ImageStore {
    /// RFC 3339 with nanoseconds, like Go's RFC3339Nano. Plain `.iso8601` keeps whole seconds, so
    /// a record read back after a restart differed from the one stored.
    static func encodeDate(_ date: Date, to encoder: Encoder) throws {
        let t = date.timeIntervalSinceReferenceDate
        var whole = t.rounded(.down)
        var nanos = Int(((t - whole) * 1e9).rounded())
        if nanos >= 1_000_000_000 { whole += 1; nanos -= 1_000_000_000 }
        let base = ISO8601DateFormatter().string(from: Date(timeIntervalSinceReferenceDate: whole))
        var c = encoder.singleValueContainer()
        try c.encode("\(base.dropLast()).\(String(format: "%09d", nanos))Z")
    }

    /// Reads RFC 3339 with or without a fraction (indexes written before nanoseconds were kept).
    static func decodeDate(from decoder: Decoder) throws -> Date {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        var whole = s
        var fraction = 0.0
        if let dot = s.firstIndex(of: ".") {
            let digits = s[s.index(after: dot)...].prefix { $0.isASCII && $0.isNumber }
            fraction = Double("0.\(digits)") ?? 0
            whole = String(s[..<dot]) + s[digits.endIndex...]
        }
        guard let base = ISO8601DateFormatter().date(from: whole) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "invalid RFC 3339 date \"\(s)\"")
        }
        return Date(timeIntervalSinceReferenceDate: base.timeIntervalSinceReferenceDate + fraction)
    }
}
