import BerthArchive
import BerthOCI
import BerthStore
import Foundation
import Glibc

extension Engine {
    /// `--squash`: the layers `image` adds on top of `base` merged into one, applied in order
    /// so a file added and then deleted leaves no bytes (only a whiteout, if the base has it).
    func squash(_ image: ImageRecord, base: ImageRecord?, lease: UUID) async throws -> ImageRecord {
        let keep = base?.layers.count ?? 0
        guard image.layers.count > keep else { return image }
        let staging = scratchPath("-squash")
        try FileSystem.makeDirectory(staging, mode: 0o755)
        defer { FileSystem.removeTree(staging) }
        let chain = image.chainIDs
        let baseLayers = layerDirectories(base)
        let content = self.content
        let snapshots = self.snapshots
        try await Blocking.run {
            for i in keep..<image.layers.count {
                // An opaque directory of a later layer hides what earlier new layers put there.
                Self.clearOpaque(snapshots.diffPath(chain[i]), staging: staging, relative: "")
                _ = try LayerExtractor.extract(layerPath: content.path(image.layers[i].digest), into: staging)
            }
            // A whiteout of something the base does not have hides nothing: drop it.
            Self.dropUselessWhiteouts(staging, relative: "", baseLayers: baseLayers)
        }
        let layer = try await buildLayer(fromDirectory: staging, lease: lease)
        var config = try ImageConfig.decode(try content.read(image.id))
        config.rootfs.diffIDs = Array(config.rootfs.diffIDs.prefix(keep)) + (layer.map { [$0.digest] } ?? [])
        let now = GoTime.format(Date())
        var history = config.history ?? []
        let baseEntries = (base.flatMap { try? ImageConfig.decode(try content.read($0.id)).history?.count }) ?? 0
        for i in baseEntries..<history.count { history[i].emptyLayer = true }
        history.append(ImageConfig.History(created: now, createdBy: "", comment: "merge \(image.id) to \(base?.id.description ?? "scratch")",
                                           emptyLayer: layer == nil ? true : nil))
        config.history = history
        config.created = now
        let layers = Array(image.layers.prefix(keep)) + (layer.map { [$0] } ?? [])
        return try await commitImage(config: config.encoded(), layers: layers, tags: [], lease: lease)
    }

    /// Empties, in `staging`, each directory that the layer dir `dir` marks opaque.
    static func clearOpaque(_ dir: String, staging: String, relative: String) {
        let here = relative.isEmpty ? dir : "\(dir)/\(relative)"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: here)) ?? [] {
            let rel = relative.isEmpty ? name : "\(relative)/\(name)"
            var st = stat()
            guard lstat("\(dir)/\(rel)", &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { continue }
            let fd = open("\(dir)/\(rel)", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            let opaque = fd >= 0 && LayerView.isOpaque(fd, ".")
            if fd >= 0 { close(fd) }
            if opaque {
                FileSystem.removeTree("\(staging)/\(rel)")
            } else {
                clearOpaque(dir, staging: staging, relative: rel)
            }
        }
    }

    static func dropUselessWhiteouts(_ root: String, relative: String, baseLayers: [String]) {
        let here = relative.isEmpty ? root : "\(root)/\(relative)"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: here)) ?? [] {
            let rel = relative.isEmpty ? name : "\(relative)/\(name)"
            var st = stat()
            guard lstat("\(root)/\(rel)", &st) == 0 else { continue }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                dropUselessWhiteouts(root, relative: rel, baseLayers: baseLayers)
            } else if (st.st_mode & S_IFMT) == S_IFCHR, st.st_rdev == 0 {
                var below = stat()
                if !baseLayers.contains(where: { lstat("\($0)/\(rel)", &below) == 0 }) { unlink("\(root)/\(rel)") }
            }
        }
    }
}
