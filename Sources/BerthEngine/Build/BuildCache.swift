import BerthOCI
import BerthStore
import Foundation

/// The layer cache of builds: which image a step made from which inputs. Persisted in the data
/// root (`build-cache.json`, replaced atomically), so it survives restarts. The images it names
/// are ordinary image records (kept by garbage collection like any other) that `images` hides
/// unless they are a build's result or tagged; `builder prune` deletes them.
public actor BuildCache {
    struct Document: Codable {
        /// Cache key → the image the step produced.
        var steps: [String: Digest] = [:]
        /// Images a build returned (shown by `images` even untagged, as Docker shows them).
        var results: Set<Digest> = []
        /// Cache key → when a build last made or reused it (`builder prune --filter until=`).
        var lastUsed: [String: Date]?
    }

    /// One cached step, for `builder prune`.
    public struct Entry: Sendable {
        public var key: String
        public var image: Digest
        public var lastUsed: Date?
    }

    let path: String
    var doc: Document

    public init(path: String) {
        self.path = path
        if let data = FileManager.default.contents(atPath: path), let d = try? JSONDecoder().decode(Document.self, from: data) {
            doc = d
        } else {
            doc = Document()
        }
    }

    func persist() throws {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        try FileSystem.writeAtomically(try e.encode(doc), to: path)
    }

    /// Reuses not yet written to disk (written with the build's result).
    var touched = false

    /// The image a step with `key` made earlier (and the step counts as used now).
    public func lookup(_ key: String) -> Digest? {
        guard let image = doc.steps[key] else { return nil }
        doc.lastUsed = (doc.lastUsed ?? [:]).merging([key: Date()]) { $1 }
        touched = true
        return image
    }

    public func record(_ key: String, image: Digest) throws {
        doc.steps[key] = image
        doc.lastUsed = (doc.lastUsed ?? [:]).merging([key: Date()]) { $1 }
        try persist()
    }

    public func markResult(_ image: Digest) throws {
        guard doc.results.insert(image).inserted || touched else { return }
        touched = false
        try persist()
    }

    /// Every cached step.
    public func entries() -> [Entry] {
        doc.steps.map { Entry(key: $0.key, image: $0.value, lastUsed: doc.lastUsed?[$0.key]) }
    }

    /// Forgets the steps `keys` (and results no longer stored); returns the images the
    /// remaining steps still name.
    public func remove(_ keys: Set<String>, keeping stored: Set<Digest>) throws -> Set<Digest> {
        for k in keys {
            doc.steps[k] = nil
            doc.lastUsed?[k] = nil
        }
        doc.results = doc.results.intersection(stored)
        try persist()
        return Set(doc.steps.values)
    }

    public func isResultImage(_ image: Digest) -> Bool { doc.results.contains(image) }

    /// An intermediate image: made by a build step and not a build's result.
    public func isIntermediate(_ image: Digest) -> Bool {
        !doc.results.contains(image) && doc.steps.values.contains(image)
    }

    /// Drops entries whose image is gone.
    public func forget(_ image: Digest) throws {
        let before = doc.steps.count
        doc.steps = doc.steps.filter { $0.value != image }
        doc.lastUsed = doc.lastUsed?.filter { doc.steps[$0.key] != nil }
        let removedResult = doc.results.remove(image) != nil
        if before != doc.steps.count || removedResult { try persist() }
    }
}

/// What decides whether a step can be reused: the parent image, the instruction as expanded,
/// the build args it sees and the checksums of the files it copies (content, mode, owner — not
/// times).
public struct BuildCacheKey: Sendable, Equatable {
    public var parent: Digest?
    public var instruction: String
    public var buildArgs: [String: String]
    public var files: [String]

    public init(parent: Digest?, instruction: String, buildArgs: [String: String] = [:], files: [String] = []) {
        self.parent = parent
        self.instruction = instruction
        self.buildArgs = buildArgs
        self.files = files
    }

    /// sha256 over an unambiguous encoding of the inputs.
    public var digest: String {
        var bytes = Data()
        func add(_ s: String) {
            var n = UInt64(s.utf8.count).littleEndian
            withUnsafeBytes(of: &n) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: Array(s.utf8))
        }
        add("berth-build-cache-v1")
        add(parent?.description ?? "scratch")
        add(instruction)
        add(String(buildArgs.count))
        for (k, v) in buildArgs.sorted(by: { $0.key < $1.key }) { add(k); add(v) }
        add(String(files.count))
        for f in files { add(f) }
        return Digest.sha256(of: bytes).description
    }
}
