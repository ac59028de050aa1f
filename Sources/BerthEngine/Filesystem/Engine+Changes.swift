import BerthArchive
import Foundation
import Glibc

extension Engine {
    /// The layer dirs under a container's own changes, top-most first.
    func imageLayers(_ r: ContainerRecord) async throws -> [String] {
        guard let image = await images.image(r.imageID) else {
            throw EngineError(.notFound, "the image of container \(r.name) (\(r.imageID.short)) is gone")
        }
        return image.chainIDs.reversed().map { snapshots.diffPath($0) }
    }

    /// `GET /containers/{id}/changes` (`docker diff`): what the container added (A), changed
    /// (C) and deleted (D) in its filesystem, from its upper dir; volumes are not part of it.
    public func changes(_ ref: String) async throws -> [FilesystemChange] {
        let r = try await containers.find(ref)
        let layers = try await imageLayers(r)
        let upper = "\(containers.bundle(r.id))/upper"
        return try await Blocking.run { try ChangeScanner.scan(upper: upper, layers: layers) }
    }

    /// `GET /containers/{id}/export`: `body` gets a function writing the container's merged
    /// filesystem (image layers and its changes, without volumes, binds or anything mounted)
    /// as a tar, entries named `bin/`, `bin/sh`, … as Docker names them.
    public func export(_ ref: String, _ body: @escaping @Sendable (_ write: @escaping @Sendable (Int32) throws -> Void) async throws -> Void) async throws {
        let r = try await containers.find(ref)
        let layers = ["\(containers.bundle(r.id))/upper"] + (try await imageLayers(r))
        try await body { out in
            let view = try LayerView(layers: layers)
            _ = try TarTreeWriter.write(to: out) { tar in try Self.export(view, view.root, prefix: "", into: tar) }
        }
    }

    static func export(_ view: LayerView, _ dir: LayerView.Directory, prefix: String, into tar: TarTreeWriter) throws {
        for name in try view.names(in: dir) {
            guard let entry = try view.lookup(name, in: dir) else { continue }
            let path = prefix + name
            switch entry {
            case .directory(let child):
                defer { child.close() }
                guard let top = child.fds.first else { continue }
                try tar.addEntry(in: top, name: ".", as: path + "/")
                try export(view, child, prefix: path + "/", into: tar)
            case .other(let parentFD, let n, _):
                try tar.addEntry(in: parentFD, name: n, as: path)
            }
        }
    }
}
