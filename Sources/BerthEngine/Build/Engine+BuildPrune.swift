import BerthArchive
import BerthOCI
import BerthStore
import Foundation
import Glibc

extension Engine {
    /// What `builder prune` (`POST /build/prune`) removes.
    public struct BuildPruneOptions: Sendable {
        /// `-a`: berth has no internal (frontend) cache to spare, so every unused entry goes either way.
        public var all = false
        /// `--filter until=`: only cache last used longer ago than this many seconds.
        public var until: TimeInterval?
        /// `--keep-storage`: stop once the cache left takes at most this many bytes (0: no limit).
        public var keepStorage: Int64 = 0
        public init() {}
    }

    /// `builder prune`: forgets cached steps (the least recently used first) and deletes their
    /// intermediate images no container, tag or other step uses, and the `RUN --mount=type=cache`
    /// directories; returns what went and the bytes freed.
    public func pruneBuildCache(_ options: BuildPruneOptions = BuildPruneOptions()) async throws -> (deleted: [String], reclaimed: Int64) {
        let now = Date()
        let cutoff = options.until.map { now.addingTimeInterval(-$0) }
        let stored = await images.images()
        let byID = Dictionary(stored.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let entries = await buildCache.entries()
        let eligible = entries.filter { e in
            guard let cutoff else { return true }
            return (e.lastUsed ?? byID[e.image]?.added ?? .distantPast) < cutoff
        }
        // What prune may remove, oldest first: cached steps (by image) and cache mount directories.
        struct Item { var time: Date; var keys: [String] = []; var image: Digest?; var mountDir: String?; var mountBytes: Int64 = 0 }
        var byImage: [Digest: Item] = [:]
        for e in eligible {
            let t = e.lastUsed ?? byID[e.image]?.added ?? .distantPast
            var item = byImage[e.image] ?? Item(time: t, image: e.image)
            item.keys.append(e.key)
            item.time = max(item.time, t)
            byImage[e.image] = item
        }
        var items = Array(byImage.values)
        let mountRoot = "\(dataRoot)/build-mounts"
        // A cache a step is using stays: counted from before its directory is made until the
        // step ends (checked again below as it is removed).
        let mounted = ImageBuilder.cachesInUse.withLock { Set($0.keys) }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: mountRoot)) ?? [] where !mounted.contains("\(mountRoot)/\(name)") {
            var st = stat()
            guard lstat("\(mountRoot)/\(name)", &st) == 0 else { continue }
            let time = Date(timeIntervalSince1970: TimeInterval(st.st_mtim.tv_sec))
            if let cutoff, time >= cutoff { continue }
            items.append(Item(time: time, mountDir: "\(mountRoot)/\(name)", mountBytes: DirectorySize.bytes("\(mountRoot)/\(name)")))
        }
        items.sort { $0.time < $1.time }

        // The bytes each item holds alone: layers only prunable images use, counted once.
        let candidates = Set(byImage.keys)
        let inUse = Set(await containers.all().map(\.imageID))
        var protectedLayers = Set<Digest>()
        for r in stored {
            let tagged = !(await images.tags(of: r.id)).isEmpty
            let result = await buildCache.isResultImage(r.id)
            guard !candidates.contains(r.id) || inUse.contains(r.id) || tagged || result else { continue }
            protectedLayers.formUnion(r.layers.map(\.digest))
        }
        var layerUsers: [Digest: Int] = [:]
        var layerSize: [Digest: Int64] = [:]
        for id in candidates {
            for l in byID[id]?.layers ?? [] where !protectedLayers.contains(l.digest) {
                layerUsers[l.digest, default: 0] += 1
                layerSize[l.digest] = l.size
            }
        }
        var total = layerSize.values.reduce(0, +) + items.reduce(0) { $0 + $1.mountBytes }
        var dropped: [Item] = []
        for item in items {
            if options.keepStorage > 0, total <= options.keepStorage { break }
            dropped.append(item)
            total -= item.mountBytes
            for l in item.image.flatMap({ byID[$0]?.layers }) ?? [] {
                guard let users = layerUsers[l.digest] else { continue }
                layerUsers[l.digest] = users - 1
                if users == 1 { total -= layerSize[l.digest] ?? 0 }
            }
        }

        let remaining = try await buildCache.remove(Set(dropped.flatMap(\.keys)), keeping: Set(stored.map(\.id)))
        var deleted: [String] = []
        var freed: Int64 = 0
        for item in dropped {
            // Checked again as it goes, under the lock a step takes to count a cache: one that
            // a step started using since the list was made stays; otherwise it is moved aside
            // first, so a step starting now makes a new one.
            if let dir = item.mountDir {
                let trash = "\(mountRoot)/.pruned-\(UUID().uuidString)"
                if ImageBuilder.cachesInUse.withLock({ $0[dir] == nil && rename(dir, trash) == 0 }) {
                    FileSystem.removeTree(trash)
                    freed += item.mountBytes
                    deleted.append("cache-mount:" + CopyPath.base(dir))
                }
            }
            guard let id = item.image, !inUse.contains(id), !remaining.contains(id) else { continue }
            guard (await images.tags(of: id)).isEmpty, await buildCache.isResultImage(id) == false else { continue }
            guard try await images.deleteUnlessLeased(id) else { continue }
            deleted.append(id.description)
        }
        freed += await collectGarbage()
        return (deleted, freed)
    }
}
