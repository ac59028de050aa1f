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

    /// The image a step with `key` made earlier.
    public func lookup(_ key: String) -> Digest? { doc.steps[key] }

    public func record(_ key: String, image: Digest) throws {
        doc.steps[key] = image
        try persist()
    }

    public func markResult(_ image: Digest) throws {
        guard doc.results.insert(image).inserted else { return }
        try persist()
    }

    public func isResultImage(_ image: Digest) -> Bool { doc.results.contains(image) }

    /// An intermediate image: made by a build step and not a build's result.
    public func isIntermediate(_ image: Digest) -> Bool {
        !doc.results.contains(image) && doc.steps.values.contains(image)
    }

    /// Forgets every step (and results no longer stored); returns the images the steps named.
    public func removeAll(keeping stored: Set<Digest>) throws -> Set<Digest> {
        let images = Set(doc.steps.values)
        doc.steps = [:]
        doc.results = doc.results.intersection(stored)
        try persist()
        return images
    }

    /// Drops entries whose image is gone.
    public func forget(_ image: Digest) throws {
        let before = doc.steps.count
        doc.steps = doc.steps.filter { $0.value != image }
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
