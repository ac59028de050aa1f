import BerthArchive
import BerthOCI
import BerthStore
import Foundation
import Glibc

extension Engine {
    /// Options of `POST /commit`.
    public struct CommitOptions: Sendable {
        /// `repo[:tag]`; nil for an untagged image.
        public var reference: Reference?
        public var comment: String?
        public var author: String?
        /// Freeze a running container while its changes are read (Docker's default).
        public var pause = true
        /// Dockerfile instructions applied to the new image's config (`-c`).
        public var changes: [String] = []
        /// A config sent with the request: it replaces the container's as the base the changes
        /// apply to; what it leaves empty comes from the container's (Docker's merge).
        public var config: DockerConfig?
        public init() {}
    }

    /// sha256 of an empty tar (two zero blocks): a commit with no changes adds no layer.
    static let emptyTarDiffID = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"

    /// `POST /commit` (`docker commit`): the container's upper dir becomes a layer on top of its
    /// image's (which stay shared: same chain ids), under a config that is the container's
    /// with `changes` applied, and a history entry naming the command.
    public func commit(_ ref: String, options: CommitOptions) async throws -> ImageRecord {
        let r = try await containers.find(ref)
        guard let base = await images.image(r.imageID) else {
            throw EngineError(.notFound, "the image of container \(r.name) (\(r.imageID.short)) is gone")
        }
        let baseConfig = try ImageConfig.decode(try content.read(r.imageID))
        let config = try Self.commitConfig(container: r.config, request: options.config, changes: options.changes)
        let running = await events.isRunning(r.id)
        let freeze = options.pause && r.paused != true && running
        if freeze { try? await pauseContainer(r.id) }
        let upper = "\(containers.bundle(r.id))/upper"
        let content = self.content
        return try await withLease { lease in
            let written: (digest: Digest, size: Int64)
            do {
                written = try await Blocking.run {
                    try content.writer().commit { fd in
                        let w = try LayerWriter.write(directory: upper, to: fd)
                        return (w.digest, w.size)
                    }
                }
            } catch {
                if freeze { try? await self.unpauseContainer(r.id) }
                throw error
            }
            if freeze { try? await self.unpauseContainer(r.id) }
            await images.extend(lease, with: [written.digest])
            let empty = written.digest.description == Self.emptyTarDiffID
            let now = GoTime.format(Date())
            var image = baseConfig
            image.created = now
            image.author = options.author.flatMap { $0.isEmpty ? nil : $0 }
            image.config = config
            if !empty { image.rootfs.diffIDs.append(written.digest) }
            var entry = ImageConfig.History(created: now, createdBy: (r.config.Cmd ?? []).joined(separator: " "),
                                            comment: options.comment.flatMap { $0.isEmpty ? nil : $0 }, emptyLayer: empty ? true : nil)
            entry.author = image.author
            image.history = (baseConfig.history ?? []) + [entry]
            let layers = base.layers + (empty ? [] : [Descriptor(mediaType: MediaType.ociLayer, digest: written.digest, size: written.size)])
            return try await commitImage(config: image.encoded(), layers: layers, tags: options.reference.map { [$0] } ?? [], lease: lease)
        }
    }

    /// Docker's commit config: the request's config (or the container's), the changes applied,
    /// then what it leaves empty filled from the container's.
    static func commitConfig(container: DockerConfig, request: DockerConfig?, changes: [String]) throws -> ContainerConfig {
        var config = (request ?? container).imageConfig
        try ImageChanges.apply(changes, to: &config)
        config.merge(defaults: container.imageConfig)
        return config
    }
}

extension DockerConfig {
    /// The run defaults an image keeps of a container's config.
    var imageConfig: ContainerConfig {
        var c = ContainerConfig()
        c.user = User.flatMap { $0.isEmpty ? nil : $0 }
        c.exposedPorts = ExposedPorts
        c.env = Env
        c.entrypoint = Entrypoint
        c.cmd = Cmd
        c.volumes = Volumes
        c.workingDir = WorkingDir.flatMap { $0.isEmpty ? nil : $0 }
        c.labels = Labels
        c.stopSignal = StopSignal
        c.healthcheck = Healthcheck
        return c
    }
}

extension ContainerConfig {
    /// moby's merge: fills what this config leaves empty from `defaults`; env, ports, labels
    /// and volumes are unions (this config's values win); Cmd and Entrypoint come from
    /// `defaults` only when this config sets no Entrypoint.
    mutating func merge(defaults d: ContainerConfig) {
        if (user ?? "").isEmpty { user = d.user }
        if (exposedPorts ?? [:]).isEmpty { exposedPorts = d.exposedPorts } else {
            for (k, v) in d.exposedPorts ?? [:] where exposedPorts?[k] == nil { exposedPorts?[k] = v }
        }
        if (env ?? []).isEmpty { env = d.env } else {
            let keys = Set((env ?? []).map { String($0.prefix { $0 != "=" }) })
            env = (env ?? []) + (d.env ?? []).filter { !keys.contains(String($0.prefix { $0 != "=" })) }
        }
        for (k, v) in d.labels ?? [:] where labels?[k] == nil {
            if labels == nil { labels = [:] }
            labels?[k] = v
        }
        if (entrypoint ?? []).isEmpty {
            if (cmd ?? []).isEmpty { cmd = d.cmd }
            if entrypoint == nil { entrypoint = d.entrypoint }
        }
        if healthcheck == nil { healthcheck = d.healthcheck }
        if (workingDir ?? "").isEmpty { workingDir = d.workingDir }
        if (volumes ?? [:]).isEmpty { volumes = d.volumes } else {
            for (k, v) in d.volumes ?? [:] { volumes?[k] = v }
        }
        if (stopSignal ?? "").isEmpty { stopSignal = d.stopSignal }
    }
}
