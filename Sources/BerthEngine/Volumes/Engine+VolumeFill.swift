import Foundation

extension Engine {
    /// Before a container's first start, copies what its image (with the container's own
    /// changes on top) has at each volume's destination into the volume when the volume is
    /// empty, as Docker does; then clears the flags, so later starts never refill a volume.
    ///
    /// The copy reads the layer directories through `LayerView` instead of mounting the
    /// overlay: no mount namespace to set up from a multi-threaded daemon, nothing left mounted
    /// if berthd dies mid-copy, and it works for one-layer images (overlay refuses a single
    /// lowerdir without an upper dir).
    func fillVolumes(_ r: ContainerRecord) async throws -> ContainerRecord {
        guard let points = r.mounts, points.contains(where: { $0.type == .volume && $0.copyData }) else { return r }
        guard let image = await images.image(r.imageID) else {
            throw EngineError(.notFound, "the image of container \(r.name) (\(r.imageID.short)) is gone")
        }
        let layers = ["\(containers.bundle(r.id))/upper"] + image.chainIDs.reversed().map { snapshots.diffPath($0) }
        for p in points where p.type == .volume && p.copyData {
            guard let name = p.name else { continue }
            let data = volumes.dataPath(name)
            let destination = p.destination
            // Two containers starting on one empty volume: the second finds it filled.
            await volumes.lockFill(name)
            do {
                _ = try await Blocking.run { try VolumeFill.fill(volume: data, from: layers, path: destination) }
            } catch {
                await volumes.unlockFill(name)
                throw error
            }
            await volumes.unlockFill(name)
        }
        return try await containers.update(r.id) { rec in
            rec.mounts = rec.mounts?.map { p in
                var done = p
                done.copyData = false
                return done
            }
        }
    }
}
