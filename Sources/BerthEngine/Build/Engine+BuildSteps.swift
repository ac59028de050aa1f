import BerthArchive
import BerthOCI
import BerthStore
import Foundation
import Glibc

extension Engine {
    /// What a RUN step executes, resolved.
    struct RunStep: Sendable {
        var image: Digest
        var argv: [String]
        var env: [String]
        var user: String
        var workdir: String
        /// `bridge` (the default), `none` or `host`.
        var network: String
        /// HostConfig binds (`--mount=type=cache|bind`).
        var binds: [String] = []
    }

    /// Runs a RUN step in a real container on the build's network, streaming its output to
    /// `output`; returns the container (stopped, not removed) and its exit code.
    func runBuildContainer(_ step: RunStep, started: @Sendable (String) -> Void, output: @escaping @Sendable (String) -> Void) async throws -> (id: String, exitCode: Int32) {
        var config: [String: Any] = [
            "Image": step.image.description, "Cmd": step.argv, "Entrypoint": [String](), "Env": step.env,
            "User": step.user, "WorkingDir": step.workdir, "AttachStdout": true, "AttachStderr": true,
            "Labels": ["berth.build": "step"],
        ]
        config["HostConfig"] = ["NetworkMode": step.network, "Binds": step.binds]
        let body = try JSONSerialization.data(withJSONObject: config)
        let (id, _) = try await createContainer(name: nil, body: body)
        started(id)
        do {
            _ = try await startContainer(id)
            var q = LogQuery()
            q.follow = true
            let (_, entries) = try await logs(id, q)
            for await e in entries { output(String(decoding: e.log, as: UTF8.self)) }
            let code = try await waitContainer(id, condition: "not-running")
            return (id, code)
        } catch {
            try? await removeContainer(id, force: true, volumes: true)
            throw error
        }
    }

    /// The container's changes as a layer in the content store (nil when it changed nothing),
    /// without the empty /etc/hosts, /etc/hostname and /etc/resolv.conf the runtime made to
    /// bind berthd's over when the image had none.
    func buildLayer(fromContainer id: String, imageLayers: [String], lease: UUID) async throws -> Descriptor? {
        let upper = "\(containers.bundle(id))/upper"
        for f in ["etc/hosts", "etc/hostname", "etc/resolv.conf"] {
            var st = stat()
            guard lstat("\(upper)/\(f)", &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size == 0 else { continue }
            if !imageLayers.contains(where: { FileSystem.exists("\($0)/\(f)") }) { unlink("\(upper)/\(f)") }
        }
        return try await buildLayer(fromDirectory: upper, lease: lease)
    }

    /// A directory in overlay form written as a layer blob; nil when it holds nothing.
    func buildLayer(fromDirectory dir: String, lease: UUID) async throws -> Descriptor? {
        let content = self.content
        let written = try await Blocking.run {
            try content.writer().commit { fd in
                let w = try LayerWriter.write(directory: dir, to: fd)
                return (w.digest, w.size)
            }
        }
        await images.extend(lease, with: [written.digest])
        if written.digest.description == Self.emptyTarDiffID { return nil }
        return Descriptor(mediaType: MediaType.ociLayer, digest: written.digest, size: written.size)
    }

    /// Records a build step's image: `parent`'s layers plus `layer`, under `config` with one
    /// more history entry.
    func commitBuildStep(parent: ImageRecord?, config: ImageConfig, layer: Descriptor?, createdBy: String, lease: UUID) async throws -> ImageRecord {
        var image = config
        let now = GoTime.format(Date())
        image.created = now
        if let layer { image.rootfs.diffIDs.append(layer.digest) }
        image.history = (image.history ?? []) + [ImageConfig.History(created: now, createdBy: createdBy, comment: nil, emptyLayer: layer == nil ? true : nil)]
        let layers = (parent?.layers ?? []) + (layer.map { [$0] } ?? [])
        return try await commitImage(config: image.encoded(), layers: layers, tags: [], lease: lease)
    }

    /// The layer dirs of an image, top-most first (for lookups of what the image already has).
    func layerDirectories(_ image: ImageRecord?) -> [String] {
        (image?.chainIDs ?? []).reversed().map { snapshots.diffPath($0) }
    }
}
