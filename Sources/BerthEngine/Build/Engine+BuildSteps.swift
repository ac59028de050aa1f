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
        /// HostConfig binds (`--mount=type=cache|bind|secret`).
        var binds: [String] = []
        /// HostConfig tmpfs (`--mount=type=tmpfs`): target → options.
        var tmpfs: [String: String] = [:]
    }

    /// Runs a RUN step in a real container on the build's network, streaming its output to
    /// `output`; returns the container (stopped, not removed) and its exit code.
    func runBuildContainer(_ step: RunStep, started: @Sendable (String) -> Void, output: @escaping @Sendable (String) -> Void) async throws -> (id: String, exitCode: Int32) {
        var config: [String: Any] = [
            "Image": step.image.description, "Cmd": step.argv, "Entrypoint": [String](), "Env": step.env,
            "User": step.user, "WorkingDir": step.workdir, "AttachStdout": true, "AttachStderr": true,
            "Labels": ["berth.build": "step"],
        ]
        config["HostConfig"] = ["NetworkMode": step.network, "Binds": step.binds, "Tmpfs": step.tmpfs]
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

    /// Removes from the container's upper directory what only its mounts made: the empty file
    /// or directory the runtime created at each mount target the image lacks, and the empty
    /// parents it created for them (e.g. /run/secrets), as BuildKit leaves no mount stubs.
    func removeMountStubs(ofContainer id: String, targets: [String], imageLayers: [String]) async throws {
        let upper = "\(containers.bundle(id))/upper"
        try await Blocking.run {
            for target in targets {
                var path = CopyPath.clean(target)
                walk: while path != "/" {
                    let rel = String(path.dropFirst())
                    if imageLayers.contains(where: { FileSystem.exists("\($0)/\(rel)") }) { break }
                    var st = stat()
                    guard lstat("\(upper)/\(rel)", &st) == 0 else { break }
                    switch st.st_mode & S_IFMT {
                    case S_IFREG where st.st_size == 0: unlink("\(upper)/\(rel)")
                    case S_IFDIR: rmdir("\(upper)/\(rel)") // fails when not empty: the step wrote there
                    default: break walk
                    }
                    if FileSystem.exists("\(upper)/\(rel)") { break }
                    path = CopyPath.clean((path as NSString).deletingLastPathComponent)
                }
            }
        }
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
