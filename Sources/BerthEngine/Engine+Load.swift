import BerthArchive
import BerthOCI
import BerthStore
import Foundation
import Glibc

extension Engine {
    /// One image a `load` brought in.
    public struct Loaded: Sendable {
        public let id: Digest
        public let tags: [Reference]
    }

    /// Loads a `docker save` archive (manifest.json) or an OCI image layout tar (index.json),
    /// compressed or not. Every file is verified into the content store first; an image and its
    /// tags are recorded only once all its layers are unpacked, so an interrupted load leaves no
    /// half image (the orphaned blobs are collected at the next start).
    public func load(archivePath: String, progress: @escaping @Sendable (Progress) -> Void = { _ in }) async throws -> [Loaded] {
        // Archive members no image refers to (docker's legacy json, VERSION) are collected after.
        let loaded = try await withLease(collect: true) { lease in try await load(archivePath: archivePath, lease: lease, progress: progress) }
        for image in loaded { await emitImage("load", image.id) }
        return loaded
    }

    func load(archivePath: String, lease: UUID, progress: @escaping @Sendable (Progress) -> Void) async throws -> [Loaded] {
        let content = self.content
        let files = try await Blocking.run { () throws -> [String: Digest] in
            let fd = open(archivePath, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw EngineError(.internalError, "cannot open \(archivePath)") }
            defer { close(fd) }
            var files: [String: Digest] = [:]
            try TarStreamReader.forEachFile(fd: fd) { path, _, next in
                let w = try content.writer()
                while let chunk = try next() { try w.write(chunk) }
                let expected = Self.digestNamedBy(path)
                files[path] = try w.commit(expected: expected).digest
            }
            return files
        }
        await images.extend(lease, with: Set(files.values))
        if let m = files["manifest.json"] {
            return try await loadDockerArchive(manifest: try content.read(m), files: files, lease: lease, progress: progress)
        }
        if let i = files["index.json"] {
            return try await loadOCILayout(index: try content.read(i), lease: lease, progress: progress)
        }
        throw EngineError(.invalid, "the archive has neither manifest.json (docker save) nor index.json (OCI layout); is it an image archive?")
    }

    /// `blobs/sha256/<hex>` names its own digest, which must then match the bytes.
    static func digestNamedBy(_ path: String) -> Digest? {
        let parts = path.split(separator: "/")
        guard parts.count == 3, parts[0] == "blobs" else { return nil }
        return try? Digest(algorithm: String(parts[1]), encoded: String(parts[2]))
    }

    struct DockerArchiveEntry: Decodable {
        var Config: String
        var RepoTags: [String]?
        var Layers: [String]
    }

    func loadDockerArchive(manifest: Data, files: [String: Digest], lease: UUID, progress: @Sendable (Progress) -> Void) async throws -> [Loaded] {
        let entries: [DockerArchiveEntry]
        do { entries = try JSONDecoder().decode([DockerArchiveEntry].self, from: manifest) } catch {
            throw EngineError(.invalid, "manifest.json in the archive is malformed: \(error)")
        }
        var out: [Loaded] = []
        for e in entries {
            func blob(_ p: String) throws -> Digest {
                let norm = (try? EntryPath.normalize(p)) ?? p
                guard let d = files[norm] else { throw EngineError(.invalid, "the archive's manifest.json names \(p), which is not in the archive") }
                return d
            }
            let configDigest = try blob(e.Config)
            let config = try content.read(configDigest)
            let layers = try e.Layers.map { p -> Descriptor in
                let d = try blob(p)
                return Descriptor(mediaType: try layerMediaType(d), digest: d, size: content.size(d) ?? 0)
            }
            let tags = try (e.RepoTags ?? []).map { try Reference(parsing: $0) }
            let record = try await commitImage(config: config, layers: layers, tags: tags, lease: lease, progress: progress)
            report(record, tags, progress)
            out.append(Loaded(id: record.id, tags: tags))
        }
        return out
    }

    func loadOCILayout(index: Data, lease: UUID, progress: @Sendable (Progress) -> Void) async throws -> [Loaded] {
        guard case .index(let idx) = try ImageDocument.decode(index) else {
            throw EngineError(.invalid, "index.json in the archive is not an image index")
        }
        var out: [Loaded] = []
        for desc in idx.manifests {
            guard let (mdesc, manifest) = try resolveManifest(desc, depth: 0) else { continue }
            let config = try content.read(manifest.config.digest)
            var tags: [Reference] = []
            if let name = desc.annotations?["io.containerd.image.name"], let r = try? Reference(parsing: name) {
                tags.append(r)
            } else if let name = desc.annotations?["org.opencontainers.image.ref.name"], let r = try? Reference(parsing: name), name.contains(":") || name.contains("/") {
                tags.append(r)
            }
            let mdata = try content.read(mdesc.digest)
            let record = try await commitImage(config: config, layers: manifest.layers, tags: tags, manifest: (mdata, mdesc.mediaType), lease: lease, progress: progress)
            report(record, tags, progress)
            out.append(Loaded(id: record.id, tags: tags))
        }
        return out
    }

    /// Follows nested indexes to the manifest for this host's platform.
    func resolveManifest(_ desc: Descriptor, depth: Int) throws -> (Descriptor, Manifest)? {
        guard depth < 4 else { throw EngineError(.invalid, "image index nests more than 4 levels deep") }
        guard content.exists(desc.digest) else {
            throw EngineError(.invalid, "the archive's index names \(desc.digest), which is not in the archive")
        }
        switch try ImageDocument.decode(try content.read(desc.digest)) {
        case .manifest(let m):
            if let p = desc.platform, p.os != Platform.host.os || p.architecture != Platform.host.architecture { return nil }
            return (desc, m)
        case .index(let i):
            for d in i.manifests {
                if let found = try resolveManifest(d, depth: depth + 1) { return found }
            }
            return nil
        }
    }

    /// OCI layer media type from the blob's leading bytes.
    func layerMediaType(_ d: Digest) throws -> String {
        guard let h = FileHandle(forReadingAtPath: content.path(d)) else { return MediaType.ociLayer }
        defer { try? h.close() }
        let head = [UInt8](h.readData(ofLength: 4))
        if head.starts(with: [0x1f, 0x8b]) { return MediaType.ociLayerGzip }
        if head.starts(with: [0x28, 0xb5, 0x2f, 0xfd]) { return MediaType.ociLayerZstd }
        return MediaType.ociLayer
    }

    func report(_ record: ImageRecord, _ tags: [Reference], _ progress: @Sendable (Progress) -> Void) {
        if tags.isEmpty {
            progress(.message("Loaded image ID: \(record.id)"))
        } else {
            for t in tags { progress(.message("Loaded image: \(t.familiar)")) }
        }
    }
}
