import BerthOCI
import BerthStore
import Foundation

extension Engine {
    /// An image with what the API shows about it.
    public struct ImageView: Sendable {
        public let record: ImageRecord
        public let tags: [Reference]
        public let config: ImageConfig
        public let configData: Data
    }

    /// Filters of `images --filter`.
    public struct ImageFilters: Sendable {
        public var dangling: Bool?
        public var references: [String] = []
        public var labels: [String] = []
        public var before: String?
        public var since: String?
        public init() {}
    }

    public func view(_ record: ImageRecord) async throws -> ImageView {
        let data = try content.read(record.id)
        return ImageView(record: record, tags: await images.tags(of: record.id), config: try ImageConfig.decode(data), configData: data)
    }

    public func inspectImage(_ name: String) async throws -> ImageView {
        try await view(try await images.resolve(name))
    }

    /// Images matching `filters`, newest first.
    public func listImages(_ filters: ImageFilters) async throws -> [ImageView] {
        var out: [ImageView] = []
        let before = try await filters.before.asyncMap { try await images.resolve($0) }
        let since = try await filters.since.asyncMap { try await images.resolve($0) }
        for record in await images.images() {
            let v = try await view(record)
            // A build step's image (Docker's intermediate images) shows only when tagged.
            if v.tags.isEmpty, await buildCache.isIntermediate(record.id) { continue }
            if let d = filters.dangling, d != v.tags.isEmpty { continue }
            if !filters.references.isEmpty, !filters.references.contains(where: { pattern in v.tags.contains { Self.matches(pattern, $0) } }) { continue }
            if !filters.labels.allSatisfy({ Self.hasLabel($0, v.config.config?.labels ?? [:]) }) { continue }
            if let b = before, !(record.created ?? record.added < (b.created ?? b.added)) { continue }
            if let s = since, !(record.created ?? record.added > (s.created ?? s.added)) { continue }
            out.append(v)
        }
        return out.sorted { ($0.record.created ?? $0.record.added) > ($1.record.created ?? $1.record.added) }
    }

    /// Docker's reference filter: a glob against `name` and `name:tag`, in familiar form.
    static func matches(_ pattern: String, _ ref: Reference) -> Bool {
        let candidates = [ref.familiarRepository, ref.familiar, ref.repository, ref.description]
        return candidates.contains { fnmatch(pattern, $0, 0) == 0 }
    }

    static func hasLabel(_ filter: String, _ labels: [String: String]) -> Bool {
        let p = filter.split(separator: "=", maxSplits: 1).map(String.init)
        guard let v = labels[p[0]] else { return false }
        return p.count == 1 || p[1] == v
    }

    /// One line of `docker image rm` output.
    public enum DeleteItem: Sendable {
        case untagged(String)
        case deleted(Digest)
    }

    /// `rmi`: removes a tag, and the image once no tag is left. Deleting by id an image with
    /// several tags needs `force`.
    public func removeImage(_ name: String, force: Bool, prune: Bool = true) async throws -> [DeleteItem] {
        let record = try await images.resolve(name)
        let items = try await removeImage(record, name: name, force: force, prune: prune)
        await emitImageRemoval(record.id, items)
        return items
    }

    /// Docker's `untag` and `delete` events for what a removal did.
    func emitImageRemoval(_ id: Digest, _ items: [DeleteItem]) async {
        for item in items {
            switch item {
            case .untagged: await emitImage("untag", id)
            case .deleted: await emitImage("delete", id)
            }
        }
    }

    private func removeImage(_ record: ImageRecord, name: String, force: Bool, prune: Bool) async throws -> [DeleteItem] {
        let tags = await images.tags(of: record.id)
        var out: [DeleteItem] = []
        let ref = try? Reference(parsing: name)
        let byTag = ref.map { r in r.digest == nil && tags.contains(r.defaultingTag) } ?? false
        if byTag, let ref, tags.count > 1 {
            try await images.untag(ref.defaultingTag)
            return [.untagged(ref.defaultingTag.familiar)]
        }
        // An image a container uses stays; with -f only its tags go (as Docker does).
        let users = await containers.all().filter { $0.imageID == record.id }
        if let user = users.first {
            var running: ContainerRecord?
            for u in users where await events.isRunning(u.id) { running = u }
            if let running {
                throw EngineError(.conflict, "conflict: unable to delete \(record.id.short) (cannot be forced) - image is being used by running container \(running.shortID)")
            }
            guard force else {
                if byTag, let ref {
                    throw EngineError(.conflict, "conflict: unable to remove repository reference \"\(ref.familiar)\" (must force) - container \(user.shortID) is using its referenced image \(record.id.short)")
                }
                throw EngineError(.conflict, "conflict: unable to delete \(record.id.short) (must be forced) - image is being used by stopped container \(user.shortID)")
            }
            for t in tags {
                try await images.untag(t)
                out.append(.untagged(t.familiar))
            }
            return out
        }
        if byTag, let ref {
            try await images.untag(ref.defaultingTag)
            out.append(.untagged(ref.defaultingTag.familiar))
        } else if tags.count > 1 && !force {
            throw EngineError(.conflict, "conflict: unable to delete \(record.id.short) (must be forced) - image is referenced in multiple repositories")
        } else {
            for t in tags { out.append(.untagged(t.familiar)) }
        }
        for d in record.repoDigests { out.append(.untagged(d)) }
        try await images.delete(record.id)
        out.append(.deleted(record.id))
        if prune { _ = await collectGarbage() }
        return out
    }

    /// `tag`: gives the image `name` resolves to another name.
    public func tagImage(_ name: String, as ref: Reference) async throws {
        let image = try await images.resolve(name)
        try await images.tag(image.id, as: ref)
        await emitImage("tag", image.id, name: ref.familiar)
    }

    /// Removes unused content; returns the bytes freed.
    public func collectGarbage() async -> Int64 {
        await images.collectGarbage(content: content, snapshots: snapshots).bytes
    }

    /// `image prune`: dangling images, or with `all` every image (none is used by a container
    /// yet, nor by a build in progress).
    public func pruneImages(all: Bool, labels: [String] = []) async throws -> (deleted: [DeleteItem], reclaimed: Int64) {
        var out: [DeleteItem] = []
        let inUse = Set(await containers.all().map(\.imageID))
        for v in try await listImages(ImageFilters()) {
            guard all || v.tags.isEmpty, !inUse.contains(v.record.id) else { continue }
            guard labels.allSatisfy({ Self.hasLabel($0, v.config.config?.labels ?? [:]) }) else { continue }
            let items = v.tags.map { DeleteItem.untagged($0.familiar) } + [.deleted(v.record.id)]
            guard try await images.deleteUnlessLeased(v.record.id) else { continue } // a running build's
            out += items
            await emitImageRemoval(v.record.id, items)
        }
        return (out, await collectGarbage())
    }

    /// One row of `history`.
    public struct HistoryItem: Sendable {
        public let id: String
        public let created: Date?
        public let createdBy: String
        public let tags: [String]
        public let size: Int64
        public let comment: String
    }

    /// The image's history, newest first, with each layer's size on the step that made it.
    public func history(_ name: String) async throws -> [HistoryItem] {
        let v = try await inspectImage(name)
        let chain = v.record.chainIDs
        var layerSizes = chain.map { snapshots.get($0)?.size ?? 0 }
        var items: [HistoryItem] = []
        let entries = v.config.history ?? v.record.diffIDs.map { _ in ImageConfig.History(created: nil, createdBy: "") }
        for h in entries {
            var size: Int64 = 0
            if h.emptyLayer != true, !layerSizes.isEmpty { size = layerSizes.removeFirst() }
            items.append(HistoryItem(id: "<missing>", created: h.created.flatMap(GoTime.parse), createdBy: h.createdBy ?? "", tags: [], size: size, comment: h.comment ?? ""))
        }
        items.reverse()
        if !items.isEmpty {
            let top = items[0]
            items[0] = HistoryItem(id: v.record.id.description, created: top.created, createdBy: top.createdBy, tags: v.tags.map(\.familiar), size: top.size, comment: top.comment)
        }
        return items
    }

    /// Totals for `system df`.
    public struct DiskUsage: Sendable {
        public var images: [ImageView] = []
        /// Bytes of unique unpacked layers.
        public var layersSize: Int64 = 0
        /// Per image: bytes shared with another image.
        public var shared: [Digest: Int64] = [:]
    }

    public func diskUsage() async throws -> DiskUsage {
        var du = DiskUsage()
        du.images = try await listImages(ImageFilters())
        var users: [Digest: Int] = [:]
        for v in du.images { for c in v.record.chainIDs { users[c, default: 0] += 1 } }
        for (c, _) in users { du.layersSize += snapshots.get(c)?.size ?? 0 }
        for v in du.images {
            du.shared[v.record.id] = v.record.chainIDs.filter { (users[$0] ?? 0) > 1 }.reduce(0) { $0 + (snapshots.get($1)?.size ?? 0) }
        }
        return du
    }
}

extension Optional {
    func asyncMap<T>(_ f: (Wrapped) async throws -> T) async rethrows -> T? {
        switch self {
        case .some(let w): return try await f(w)
        case .none: return nil
        }
    }
}
