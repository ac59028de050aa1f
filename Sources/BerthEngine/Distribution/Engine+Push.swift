import BerthOCI
import BerthRegistry
import BerthStore
import Foundation

extension Engine {
    /// Layers uploaded at once, as dockerd's default `max-concurrent-uploads`.
    static let concurrentUploads = 5

    /// Pushes `repository:tag` (every tag of the repository when `tag` is nil) to its registry.
    ///
    /// Layers go as they are stored: a pulled layer keeps its registry's compression, and an
    /// imported or loaded one (stored uncompressed, digest == diff_id) is pushed uncompressed as
    /// `…layer.v1.tar`. So the pushed manifest is byte for byte the local one, its digest is what
    /// `berth images --digests` shows, and nothing needs a compressed-digest mapping. Each blob
    /// is asked for first (HEAD); one the registry holds in another repository is mounted.
    public func push(_ repository: Reference, tag: String?, credentials: RegistryCredentials? = nil,
                     events: @escaping @Sendable (TransferEvent) -> Void = { _ in }) async throws {
        let repo = Reference(domain: repository.domain, path: repository.path, tag: nil, digest: nil)
        var targets: [(Reference, ImageRecord)] = []
        if let tag = tag ?? repository.tag {
            let ref = repo.withTag(tag)
            guard let record = try? await images.resolve(ref.description) else {
                throw EngineError(.notFound, "An image does not exist locally with the tag: \(ref.familiarRepository)")
            }
            targets.append((ref, record))
        } else {
            for (ref, id) in await images.allTags().sorted(by: { $0.0.description < $1.0.description }) where ref.repository == repo.repository {
                if let record = await images.image(id) { targets.append((ref, record)) }
            }
            guard !targets.isEmpty else { throw EngineError(.notFound, "An image does not exist locally with the tag: \(repo.familiarRepository)") }
        }
        events(.status("The push refers to repository [\(repo.repository)]"))
        let session = try await registry.session(domain: repo.domain, repository: repo.path, credentials: credentials, actions: ["pull", "push"])
        for (ref, record) in targets {
            try await push(record, as: ref, session: session, events: events)
        }
    }

    func push(_ record: ImageRecord, as ref: Reference, session: RepositorySession, events: @escaping @Sendable (TransferEvent) -> Void) async throws {
        let tag = ref.tag ?? Reference.defaultTag
        // Docker lists the top layer first and names layers by their diff_id.
        let order = Array(record.layers.indices.reversed())
        let sources = await mountSources(domain: ref.domain, excluding: ref.path)
        var seen = Set<Digest>()
        let unique = order.filter { seen.insert(record.layers[$0].digest).inserted }
        for i in unique { events(.layer(id: record.diffIDs[i].short, status: "Preparing")) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func startNext() {
                let i = unique[next]
                next += 1
                group.addTask {
                    try await self.pushBlob(record.layers[i], id: record.diffIDs[i].short, sources: sources[record.layers[i].digest] ?? [],
                                            session: session, events: events)
                }
            }
            while next < min(Self.concurrentUploads, unique.count) { startNext() }
            for i in unique.dropFirst(next) { events(.layer(id: record.diffIDs[i].short, status: "Waiting")) }
            while try await group.next() != nil {
                if next < unique.count { startNext() }
            }
        }
        let config = Descriptor(mediaType: MediaType.ociConfig, digest: record.id, size: content.size(record.id) ?? 0)
        try await pushBlob(config, id: nil, sources: sources[record.id] ?? [], session: session, events: { _ in })
        let manifest = try content.read(record.manifest.digest)
        let digest = try await session.putManifest(manifest, mediaType: record.manifest.mediaType, reference: tag)
        events(.status("\(tag): digest: \(digest) size: \(manifest.count)"))
        events(.pushed(tag: tag, digest: digest, size: manifest.count))
        var updated = record
        updated.repoDigests = Array(Set(record.repoDigests + ["\(ref.familiarRepository)@\(digest)"])).sorted()
        try await images.add(updated, tags: [])
    }

    /// Uploads one blob unless the repository has it or can mount it from `sources`.
    func pushBlob(_ blob: Descriptor, id: String?, sources: [String], session: RepositorySession,
                  events: @escaping @Sendable (TransferEvent) -> Void) async throws {
        if try await session.blobExists(blob.digest) {
            if let id { events(.layer(id: id, status: "Layer already exists")) }
            return
        }
        for source in sources where try await session.mount(blob.digest, from: source) {
            if let id { events(.layer(id: id, status: "Mounted from \(source)")) }
            return
        }
        guard content.exists(blob.digest) else {
            throw EngineError(.internalError, "blob \(blob.digest) of the image is missing from the content store; pull or load the image again")
        }
        let size = content.size(blob.digest) ?? blob.size
        try await session.upload(blob.digest, size: size, from: content.path(blob.digest)) { sent in
            if let id { events(.progress(id: id, status: "Pushing", current: sent, total: size)) }
        }
        if let id { events(.layer(id: id, status: "Pushed")) }
    }

    /// For each blob, the other repositories of `domain` an image holding it came from (its
    /// repo digests): candidates for a cross-repository mount.
    func mountSources(domain: String, excluding path: String) async -> [Digest: [String]] {
        var out: [Digest: [String]] = [:]
        for record in await images.images() {
            let repos = record.repoDigests.compactMap { try? Reference(parsing: $0) }.filter { $0.domain == domain && $0.path != path }.map(\.path)
            guard !repos.isEmpty else { continue }
            for d in record.layers.map(\.digest) + [record.id] {
                out[d, default: []].append(contentsOf: repos.filter { !(out[d] ?? []).contains($0) })
            }
        }
        return out
    }

    /// Checks credentials against a registry (`docker login`): `server` is an address as the
    /// CLI sends it (`localhost:5000`, `https://index.docker.io/v1/`).
    public func login(server: String, credentials: RegistryCredentials) async throws {
        let domain = RegistryEndpoint.domain(ofServerAddress: server)
        let session = try await registry.session(domain: domain, repository: "", credentials: credentials, actions: [])
        try await session.login()
    }
}
