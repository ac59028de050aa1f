import BerthArchive
import BerthOCI
import BerthStore
import CBerthSys
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
        try await Blocking.run {
            try Self.withDirectory(upper) { upperFD in
                for f in ["etc/hosts", "etc/hostname", "etc/resolv.conf"] where !imageLayers.contains(where: { FileSystem.exists("\($0)/\(f)") }) {
                    _ = Self.removeStub(f, beneath: upperFD, directories: false)
                }
            }
        }
        return try await buildLayer(fromDirectory: upper, lease: lease)
    }

    /// Removes from the container's upper directory what only its mounts made: the empty file
    /// or directory the runtime created at each mount target the image lacks, and the empty
    /// parents it created for them (e.g. /run/secrets), as BuildKit leaves no mount stubs.
    /// The step's own process may have renamed those parents and put symlinks in their place:
    /// every path is resolved beneath the upper directory without following symlinks.
    func removeMountStubs(ofContainer id: String, targets: [String], imageLayers: [String]) async throws {
        let upper = "\(containers.bundle(id))/upper"
        try await Blocking.run {
            try Self.withDirectory(upper) { upperFD in
                for target in targets {
                    var path = CopyPath.clean(target)
                    while path != "/" {
                        let rel = String(path.dropFirst())
                        if imageLayers.contains(where: { FileSystem.exists("\($0)/\(rel)") }) { break }
                        guard Self.removeStub(rel, beneath: upperFD, directories: true) else { break }
                        path = CopyPath.clean((path as NSString).deletingLastPathComponent)
                    }
                }
            }
        }
    }

    /// Runs `body` with an O_PATH descriptor of directory `path`.
    static func withDirectory(_ path: String, _ body: (Int32) throws -> Void) throws {
        let fd = open(path, berth_O_PATH | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw EngineError(.internalError, "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        try body(fd)
    }

    /// Removes `rel` beneath `rootFD` if it is an empty regular file (or, with `directories`, an
    /// empty directory), reached with no symlink on the way; true when it was removed.
    static func removeStub(_ rel: String, beneath rootFD: Int32, directories: Bool) -> Bool {
        let slash = rel.lastIndex(of: "/")
        let parent = slash.map { String(rel[..<$0]) } ?? "", name = slash.map { String(rel[rel.index(after: $0)...]) } ?? rel
        let parentFD = berth_open_beneath(rootFD, parent.isEmpty ? "." : parent, berth_O_PATH | O_DIRECTORY, 0, 1)
        guard parentFD >= 0 else { return false }
        defer { close(parentFD) }
        var st = stat()
        guard fstatat(parentFD, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { return false }
        switch st.st_mode & S_IFMT {
        case S_IFREG where st.st_size == 0: return unlinkat(parentFD, name, 0) == 0
        case S_IFDIR where directories: return unlinkat(parentFD, name, AT_REMOVEDIR) == 0 // fails when not empty: the step wrote there
        default: return false
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
