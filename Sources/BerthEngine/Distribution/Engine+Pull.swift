import BerthOCI
import BerthRegistry
import BerthStore
import Foundation

extension Engine {
    /// Layers downloaded at once, as dockerd's default `max-concurrent-downloads`.
    static let concurrentDownloads = 3

    /// Pulls `ref` (by tag or digest) from its registry: the manifest for `platform` (the
    /// host's by default) from an index, the config, and the layers the store lacks, each
    /// verified against its digest before it is committed and unpacked as soon as it is in.
    /// The image and its tag are recorded in one step at the end.
    public func pull(_ ref: Reference, platform: Platform? = nil, credentials: RegistryCredentials? = nil,
                     events: @escaping @Sendable (TransferEvent) -> Void = { _ in }) async throws -> ImageRecord {
        try await withLease { lease in
            try await pull(ref.defaultingTag, platform: platform, credentials: credentials, lease: lease, events: events)
        }
    }

    func pull(_ ref: Reference, platform: Platform?, credentials: RegistryCredentials?, lease: UUID,
              events: @escaping @Sendable (TransferEvent) -> Void) async throws -> ImageRecord {
        let session = try await registry.session(domain: ref.domain, repository: ref.path, credentials: credentials)
        let top = try await session.manifest(ref.digest?.description ?? ref.tag ?? Reference.defaultTag)
        let (document, manifest) = try await platformManifest(top, session: session, platform: platform, depth: 0)
        try Self.checkIsImage(manifest, from: session.name)
        events(.status("Pulling from \(ref.path)", id: ref.digest?.description ?? ref.tag))
        await images.extend(lease, with: Set([top.digest, document.digest, manifest.config.digest] + manifest.layers.map(\.digest)))

        // Stored first (held by the lease until the image is recorded), so that concurrent pulls
        // of one image fetch the config once, as they do each layer.
        if !content.exists(manifest.config.digest) {
            let content = self.content, config = manifest.config
            try await downloads.once(config.digest) {
                let data = try await session.blobData(config)
                _ = try await Blocking.run { try content.write(data, expected: config.digest) }
            }
        }
        let configData = try content.read(manifest.config.digest)
        let config = try ImageConfig.decode(configData)
        if let platform, !platform.matches(Platform(architecture: config.architecture, os: config.os, variant: config.variant)) {
            throw EngineError(.notFound, "image with reference \(ref.familiar) was found but does not match the specified platform: wanted \(platform), actual: \(config.os)/\(config.architecture)")
        }
        guard config.rootfs.diffIDs.count == manifest.layers.count else {
            throw EngineError(.internalError, "image \(ref.familiar) from \(session.name) is inconsistent: \(manifest.layers.count) layers but its config lists \(config.rootfs.diffIDs.count) diff_ids")
        }
        let chain = ChainID.of(config.rootfs.diffIDs)
        await images.extend(lease, with: Set(chain))

        var missing: [Int] = []
        var seen = Set<Digest>()
        for (i, layer) in manifest.layers.enumerated() where seen.insert(layer.digest).inserted {
            if snapshots.exists(chain[i]), content.exists(layer.digest) {
                events(.layer(id: layer.digest.short, status: "Already exists"))
            } else {
                events(.layer(id: layer.digest.short, status: "Pulling fs layer"))
                missing.append(i)
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func startNext() {
                let i = missing[next]
                next += 1
                group.addTask {
                    try await self.fetchLayer(manifest.layers[i], chainID: chain[i], diffID: config.rootfs.diffIDs[i],
                                              parent: i > 0 ? chain[i - 1] : nil, session: session, events: events)
                }
            }
            while next < min(Self.concurrentDownloads, missing.count) { startNext() }
            for i in missing.dropFirst(next) { events(.layer(id: manifest.layers[i].digest.short, status: "Waiting")) }
            while try await group.next() != nil {
                if next < missing.count { startNext() }
            }
        }

        let previous = ref.tag != nil ? try? await images.resolve(ref.description) : nil
        let repoDigest = "\(ref.familiarRepository)@\(top.digest)"
        let record = try await commitImage(config: configData, layers: manifest.layers, tags: ref.tag != nil ? [ref] : [],
                                           manifest: (document.data, Self.documentType(document, manifest)), repoDigests: [repoDigest], lease: lease)
        events(.status("Digest: \(top.digest)"))
        let upToDate = missing.isEmpty && (ref.tag == nil || previous?.id == record.id)
        events(.status("Status: \(upToDate ? "Image is up to date" : "Downloaded newer image") for \(ref.familiar)"))
        return record
    }

    /// Downloads one layer (unless its blob is here) and unpacks it (unless its snapshot is).
    func fetchLayer(_ layer: Descriptor, chainID: Digest, diffID: Digest, parent: Digest?, session: RepositorySession,
                    events: @escaping @Sendable (TransferEvent) -> Void) async throws {
        let id = layer.digest.short
        let content = self.content
        if !content.exists(layer.digest) {
            try await downloads.once(layer.digest) {
                try await session.download(layer, into: content) { bytes in
                    events(.progress(id: id, status: "Downloading", current: bytes, total: layer.size))
                }
            }
            events(.layer(id: id, status: "Verifying Checksum"))
            events(.layer(id: id, status: "Download complete"))
        }
        events(.progress(id: id, status: "Extracting", current: 0, total: layer.size))
        let snapshots = self.snapshots
        let blob = content.path(layer.digest)
        _ = try await Blocking.run {
            try snapshots.unpack(blobPath: blob, chainID: chainID, diffID: diffID, parent: parent)
        }
        events(.progress(id: id, status: "Extracting", current: layer.size, total: layer.size))
        events(.layer(id: id, status: "Pull complete"))
    }

    /// The manifest to pull: `document` itself, or the entry of an index for `platform`. An
    /// index inside an index is followed one level (containerd follows nested indexes; moby's
    /// puller refuses them), deeper nesting is refused; a child that resolves to its parent
    /// fails digest verification, as each level is fetched by digest.
    func platformManifest(_ document: FetchedDocument, session: RepositorySession, platform: Platform?, depth: Int) async throws -> (FetchedDocument, Manifest) {
        let declared = MediaType.isManifest(document.mediaType) || MediaType.isIndex(document.mediaType) ? document.mediaType : nil
        switch try ImageDocument.decode(document.data, declaredType: declared) {
        case .manifest(let m):
            return (document, m)
        case .index(let index):
            guard depth < 2 else { throw EngineError(.invalid, "the image index from \(session.name) nests more than 2 levels deep; refusing it") }
            let want = platform ?? .host
            guard let entry = index.manifest(for: want) else {
                throw EngineError(.notFound, "no matching manifest for \(want) in the manifest list entries (it has \(index.platforms.joined(separator: ", ")))")
            }
            let child = try await session.manifest(entry.digest.description)
            return try await platformManifest(child, session: session, platform: platform, depth: depth + 1)
        }
    }

    /// Refuses manifests that are not container images: another config media type (an
    /// artifact, a Helm chart) or a layer berth cannot unpack.
    static func checkIsImage(_ m: Manifest, from repository: String) throws {
        guard m.config.mediaType == MediaType.ociConfig || m.config.mediaType == MediaType.dockerConfig else {
            throw EngineError(.invalid, "\(repository) is not a container image: its config has media type \(m.config.mediaType), not \(MediaType.ociConfig) or \(MediaType.dockerConfig)")
        }
        for l in m.layers where !MediaType.isLayer(l.mediaType) {
            throw EngineError(.invalid, "\(repository) has layer \(l.digest) of media type \(l.mediaType), which is not an image layer berth can unpack")
        }
    }

    /// The media type to record for a pulled manifest: what it says of itself, or what its config implies.
    static func documentType(_ d: FetchedDocument, _ m: Manifest) -> String {
        if let t = m.mediaType { return t }
        if MediaType.isManifest(d.mediaType) { return d.mediaType }
        return m.config.mediaType == MediaType.dockerConfig ? MediaType.dockerManifest : MediaType.ociManifest
    }
}

extension Engine {
    /// `pull --all-tags`: every tag the registry lists for the repository.
    public func pullAllTags(_ repository: Reference, platform: Platform? = nil, credentials: RegistryCredentials? = nil,
                            events: @escaping @Sendable (TransferEvent) -> Void = { _ in }) async throws {
        let session = try await registry.session(domain: repository.domain, repository: repository.path, credentials: credentials)
        let tags = try await session.tags()
        guard !tags.isEmpty else { throw EngineError(.notFound, "repository \(repository.familiarRepository) has no tags to pull") }
        for tag in tags.sorted() {
            _ = try await pull(repository.withTag(tag), platform: platform, credentials: credentials, events: events)
        }
    }
}
