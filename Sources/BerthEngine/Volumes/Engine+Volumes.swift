import BerthStore
import Foundation

extension Engine {
    /// What `volume ls --filter` selects.
    public struct VolumeFilters: Sendable {
        /// Regular expressions matched against the name (Docker's `name=`); any may match.
        public var names: [String] = []
        /// `key` or `key=value`; all must match.
        public var labels: [String] = []
        /// `label!=`: none may match.
        public var notLabels: [String] = []
        /// true: used by no container; false: used by one.
        public var dangling: Bool?
        public var drivers: [String] = []
        public init() {}
    }

    /// A volume with what `system df` shows about it.
    public struct VolumeUsage: Sendable {
        public let volume: Volume
        /// Bytes of its files (hard links counted once).
        public let size: Int64
        /// Containers using it.
        public let refCount: Int
    }

    /// The volume users the container records name, recorded at startup.
    func adoptVolumeUsers() async {
        var uses: [(volume: String, container: String)] = []
        for r in await containers.all() {
            for p in (try? mountPoints(of: r)) ?? [] where p.type == .volume {
                if let n = p.name { uses.append((n, r.id)) }
            }
        }
        await volumes.adopt(uses)
    }

    /// `POST /volumes/create`: the volume, created unless it exists. Without a name it gets a
    /// random one and Docker's anonymous label.
    public func createVolume(name: String?, driver: String?, driverOptions: [String: String]?, labels: [String: String]?) async throws -> Volume {
        try MountPoint.checkDriver(driver, options: driverOptions)
        let n = (name ?? "").isEmpty ? nil : name
        return try await volumes.create(n, labels: labels, anonymous: n == nil)
    }

    public func inspectVolume(_ name: String) async throws -> Volume { try await volumes.get(name) }

    /// Volumes matching `f`, by name.
    public func listVolumes(_ f: VolumeFilters) async -> [Volume] {
        var out: [Volume] = []
        for v in await volumes.all() {
            if !f.names.isEmpty, !f.names.contains(where: { Self.matches($0, v.name) }) { continue }
            if !f.labels.allSatisfy({ Self.hasLabel($0, v.labels ?? [:]) }) { continue }
            if f.notLabels.contains(where: { Self.hasLabel($0, v.labels ?? [:]) }) { continue }
            if !f.drivers.isEmpty, !f.drivers.contains(v.driver) { continue }
            if let d = f.dangling, d != (await volumes.users(of: v.name)).isEmpty { continue }
            out.append(v)
        }
        return out
    }

    /// Docker matches `name=` as a regular expression; a pattern that is not one matches as text.
    static func matches(_ pattern: String, _ name: String) -> Bool {
        guard let re = try? NSRegularExpression(pattern: pattern) else { return name.contains(pattern) }
        return re.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil
    }

    /// `DELETE /volumes/{name}`: refused (409) while any container uses it.
    public func removeVolume(_ name: String, force: Bool) async throws {
        guard let trash = try await volumes.remove(name, force: force) else { return }
        try await Blocking.run { FileSystem.removeTree(trash) }
    }

    /// `volume prune`: unused volumes matching the labels; only anonymous ones unless `all`.
    /// Returns the names removed and the bytes their files took.
    public func pruneVolumes(all: Bool, labels: [String], notLabels: [String]) async -> (deleted: [String], reclaimed: Int64) {
        var f = VolumeFilters()
        f.dangling = true
        f.labels = labels + (all ? [] : [Volume.anonymousLabel])
        f.notLabels = notLabels
        var deleted: [String] = []
        var reclaimed: Int64 = 0
        for v in await listVolumes(f) {
            let size = (try? await Blocking.run { [volumes] in DirectorySize.bytes(volumes.dataPath(v.name)) }) ?? 0
            // A container may have taken it since the listing; then it stays.
            guard let trash = try? await volumes.remove(v.name, force: false) else { continue }
            _ = try? await Blocking.run { FileSystem.removeTree(trash) }
            deleted.append(v.name)
            reclaimed += size
        }
        return (deleted, reclaimed)
    }

    /// Every volume with its size and users, for `system df`.
    public func volumeUsage() async -> [VolumeUsage] {
        var out: [VolumeUsage] = []
        for v in await volumes.all() {
            let size = (try? await Blocking.run { [volumes] in DirectorySize.bytes(volumes.dataPath(v.name)) }) ?? 0
            out.append(VolumeUsage(volume: v, size: size, refCount: await volumes.users(of: v.name).count))
        }
        return out
    }
}
