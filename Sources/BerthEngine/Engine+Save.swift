import BerthArchive
import BerthOCI
import BerthStore
import Foundation
import Glibc

extension Engine {
    /// Writes the named images to `path` as one tar that is both a `docker save` archive
    /// (manifest.json, which Docker 20.10+ loads) and an OCI image layout (index.json,
    /// oci-layout, blobs/), as Docker 25+ does. A repository name without a tag saves all its tags.
    public func save(names: [String], to path: String) async throws {
        var order: [Digest] = []
        var tagsByImage: [Digest: [Reference]] = [:]
        for name in names {
            let picked = try await imagesNamed(name)
            for (record, tags) in picked {
                if tagsByImage[record.id] == nil { order.append(record.id); tagsByImage[record.id] = [] }
                for t in tags where !(tagsByImage[record.id] ?? []).contains(t) { tagsByImage[record.id]?.append(t) }
            }
        }
        var records: [ImageRecord] = []
        for id in order {
            guard let r = await images.image(id) else { throw EngineError(.notFound, "No such image: \(id)") }
            records.append(r)
        }
        let content = self.content
        let byImage = tagsByImage
        let chosen = records
        try await Blocking.run {
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw EngineError(.internalError, "cannot create \(path)") }
            defer { close(fd) }
            let tar = try TarStreamWriter(fd: fd)
            try tar.addDirectory("blobs")
            try tar.addDirectory("blobs/sha256")
            var written = Set<Digest>()
            var indexEntries: [Descriptor] = []
            var dockerEntries: [[String: Any]] = []
            for r in chosen {
                for d in [r.id, r.manifest.digest] + r.layers.map(\.digest) where !written.contains(d) {
                    written.insert(d)
                    try tar.addFile("blobs/sha256/\(d.encoded)", contentsOf: content.path(d))
                }
                let tags = byImage[r.id] ?? []
                if tags.isEmpty {
                    indexEntries.append(r.manifest)
                }
                for t in tags {
                    var desc = r.manifest
                    desc.annotations = ["io.containerd.image.name": t.description, "org.opencontainers.image.ref.name": t.tag ?? "latest"]
                    indexEntries.append(desc)
                }
                dockerEntries.append([
                    "Config": "blobs/sha256/\(r.id.encoded)",
                    "RepoTags": tags.isEmpty ? NSNull() : tags.map(\.familiar) as Any,
                    "Layers": r.layers.map { "blobs/sha256/\($0.digest.encoded)" },
                ])
            }
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            try tar.addData("index.json", try enc.encode(Index(manifests: indexEntries)))
            try tar.addData("manifest.json", try JSONSerialization.data(withJSONObject: dockerEntries, options: [.sortedKeys, .withoutEscapingSlashes]))
            try tar.addData("oci-layout", Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8))
            try tar.finish()
        }
    }

    /// The images a name selects, with the tags that name covers: a bare repository name
    /// covers every tag of that repository; `name:tag` that tag; an id no tag.
    func imagesNamed(_ name: String) async throws -> [(ImageRecord, [Reference])] {
        if let ref = try? Reference(parsing: name), ref.tag == nil, ref.digest == nil, !name.contains(":") {
            let repoTags = await images.allTags().filter { $0.0.repository == ref.repository }
            if !repoTags.isEmpty {
                var out: [Digest: (ImageRecord, [Reference])] = [:]
                for (t, id) in repoTags {
                    guard let r = await images.image(id) else { continue }
                    out[id, default: (r, [])].1.append(t)
                }
                return out.values.sorted { $0.0.id < $1.0.id }
            }
        }
        let record = try await images.resolve(name)
        if let ref = try? Reference(parsing: name), ref.digest == nil, await images.tags(of: record.id).contains(ref.defaultingTag) {
            return [(record, [ref.defaultingTag])]
        }
        return [(record, [])]
    }
}
