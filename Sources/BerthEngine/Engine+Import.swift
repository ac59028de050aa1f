import BerthArchive
import BerthOCI
import BerthStore
import Foundation
import Glibc

extension Engine {
    /// Options for `import`.
    public struct ImportOptions: Sendable {
        public var tag: Reference?
        public var changes: [String] = []
        public var message: String?
        public var platform: Platform = .host
        public var source = "-"
        public init() {}
    }

    /// Makes a one-layer image from a rootfs tarball (plain or compressed) at `tarPath`.
    public func importImage(tarPath: String, options: ImportOptions) async throws -> ImageRecord {
        let record = try await withLease { lease in try await importImage(tarPath: tarPath, options: options, lease: lease) }
        if let tag = options.tag { await emitImage("tag", record.id, name: tag.familiar) }
        await emitImage("import", record.id)
        return record
    }

    func importImage(tarPath: String, options: ImportOptions, lease: UUID) async throws -> ImageRecord {
        let content = self.content
        // The layer is stored uncompressed, so its digest is its diff_id and a save/load round
        // trip keeps digests byte-identical.
        let (digest, size) = try await Blocking.run { () throws -> (Digest, Int64) in
            let fd = open(tarPath, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw EngineError(.internalError, "cannot open \(tarPath): \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            let stream = try LayerStream(fd: fd)
            let writer = try content.writer()
            try stream.copy { buf throws(StoreError) in try writer.write(buf) }
            guard writer.count > 0 else { throw EngineError(.invalid, "import: the input is empty; give a tar archive of a root filesystem") }
            return try writer.commit()
        }
        await images.extend(lease, with: [digest])
        var cc = ContainerConfig()
        try ImageChanges.apply(options.changes, to: &cc)
        let now = GoTime.format(Date())
        var cfg = ImageConfig(
            architecture: options.platform.architecture, os: options.platform.os, config: cc,
            rootfs: .init(diffIDs: [digest]),
            history: [.init(created: now, createdBy: nil, comment: options.message ?? "Imported from \(options.source)")],
            created: now)
        cfg.variant = options.platform.variant
        let layer = Descriptor(mediaType: MediaType.ociLayer, digest: digest, size: size)
        return try await commitImage(config: cfg.encoded(), layers: [layer], tags: options.tag.map { [$0] } ?? [], lease: lease)
    }
}
