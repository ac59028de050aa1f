import BerthStore
import Foundation

extension Engine {
    /// Docker's order for a new container's mounts: `--volumes-from` first, then `Binds`, then
    /// `Mounts` (each replacing an inherited mount at the same destination; binds, mounts and
    /// `--tmpfs` may not collide), then an anonymous volume for each `VOLUME` nothing covers.
    /// Volumes are created as needed with `containerID` recorded as their user; when anything
    /// fails, no volume stays used and the anonymous ones made here are removed.
    func resolveMountPoints(_ h: DockerHostConfig, configVolumes: [String], containerID: String) async throws -> [MountPoint] {
        try MountPoint.checkDriver(h.VolumeDriver, options: nil)
        var points: [MountPoint] = []
        var labels: [String: [String: String]] = [:]
        func put(_ p: MountPoint) {
            if let i = points.firstIndex(where: { $0.destination == p.destination }) { points[i] = p } else { points.append(p) }
        }
        for spec in h.VolumesFrom ?? [] {
            for p in try await volumesFrom(spec) { put(p) }
        }
        var explicit = Set<String>()
        let tmpfs = Set((h.Tmpfs ?? [:]).keys.compactMap(MountPoint.clean))
        func claim(_ destination: String) throws(EngineError) {
            guard explicit.insert(destination).inserted, !tmpfs.contains(destination) else {
                throw EngineError(.invalid, "Duplicate mount point: \(destination)")
            }
        }
        for raw in h.Binds ?? [] {
            let p = try MountPoint.parse(bind: raw)
            try claim(p.destination)
            put(p)
        }
        for m in h.Mounts ?? [] {
            let (p, l) = try MountPoint.parse(mount: m)
            try claim(p.destination)
            if p.type == .bind && !FileSystem.exists(p.source) {
                throw EngineError(.invalid, "invalid mount config for type \"bind\": bind source path does not exist: \(p.source)")
            }
            put(p)
            labels[p.destination] = l
        }
        for raw in configVolumes.sorted() {
            guard let destination = MountPoint.clean(raw), destination != "/" else {
                throw EngineError(.invalid, "invalid volume \(raw): a VOLUME must be an absolute path other than /")
            }
            if points.contains(where: { $0.destination == destination }) || tmpfs.contains(destination) { continue }
            points.append(MountPoint(type: .volume, destination: destination, copyData: true, anonymous: true))
        }
        do {
            for i in points.indices where points[i].type == .volume {
                let v = try await volumes.acquire(points[i].name, labels: labels[points[i].destination],
                                                  anonymous: points[i].name == nil, by: containerID)
                points[i].name = v.name
            }
        } catch {
            await releaseVolumes(points.filter { $0.name != nil }, of: containerID, removeAnonymous: true)
            throw error
        }
        return points
    }

    /// The mounts `--volumes-from C[:ro|:rw]` takes from C: all of them, read-only when C's is or
    /// when asked, never filled from this container's image.
    func volumesFrom(_ spec: String) async throws -> [MountPoint] {
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let ref = parts.first, !ref.isEmpty else { throw EngineError(.invalid, "malformed volumes-from specification: \(spec)") }
        let mode = parts.count > 1 ? parts[1] : ""
        guard MountPoint.isValidMode(mode) else { throw EngineError(.invalid, "invalid mode for volumes-from: \(mode)") }
        let readOnly = mode.split(separator: ",").contains("ro")
        let source = try await containers.find(ref)
        return try mountPoints(of: source).map { p in
            var copy = p
            copy.readOnly = p.readOnly || readOnly
            copy.copyData = false
            return copy
        }
    }

    /// A record's mounts; records from before volumes had only binds and bind/tmpfs mounts,
    /// which resolve from their host config without touching any volume.
    public func mountPoints(of r: ContainerRecord) throws(EngineError) -> [MountPoint] {
        if let m = r.mounts { return m }
        var points: [MountPoint] = []
        for b in r.hostConfig.Binds ?? [] { points.append(try MountPoint.parse(bind: b)) }
        for m in r.hostConfig.Mounts ?? [] { points.append(try MountPoint.parse(mount: m).0) }
        return points
    }

    /// `containerID` stops using the volumes of `points`; with `removeAnonymous`, its anonymous
    /// volumes go too unless another container still uses them (Docker's `rm -v`).
    func releaseVolumes(_ points: [MountPoint], of containerID: String, removeAnonymous: Bool) async {
        for p in points where p.type == .volume {
            guard let name = p.name else { continue }
            await volumes.release(name, by: containerID)
        }
        guard removeAnonymous else { return }
        for p in points where p.type == .volume && p.anonymous {
            guard let name = p.name, let trash = try? await volumes.remove(name, force: true) else { continue }
            _ = try? await Blocking.run { FileSystem.removeTree(trash) }
        }
    }
}
