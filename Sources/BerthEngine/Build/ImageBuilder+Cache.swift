import BerthOCI
import BerthStore
import Foundation

/// The build cache from the builder's side: reusing a step's image, committing a new one.
extension ImageBuilder {
    /// Reuses the cached image for `key`, if any; else nil. The build's lease holds it first,
    /// so a `builder prune` running meanwhile either leaves it or has already removed it.
    func cached(_ key: BuildCacheKey) async -> ImageRecord? {
        guard !options.noCache, let id = await engine.buildCache.lookup(key.digest) else { return nil }
        await engine.images.extend(lease, with: [id])
        return await engine.images.image(id)
    }

    func reuse(_ r: ImageRecord, _ state: inout State) throws {
        state.record = r
        let cmdSet = state.cmdSet
        let args = state.args
        state = try self.state(of: r)
        state.cmdSet = cmdSet
        state.args = args
        say(" ---> Using cache\n ---> \(r.id.short)\n")
    }

    func commit(_ state: inout State, layer: Descriptor?, createdBy: String, key: BuildCacheKey?) async throws {
        let r = try await engine.commitBuildStep(parent: state.record, config: state.config, layer: layer, createdBy: createdBy, lease: lease)
        if let key { try await engine.buildCache.record(key.digest, image: r.id) }
        let cmdSet = state.cmdSet
        let args = state.args
        state = try self.state(of: r)
        state.cmdSet = cmdSet
        state.args = args
    }

    /// A step that only changes the config: an empty-layer history entry. Its key is its
    /// expanded text: build args reach it only through what it names (as in Docker, only a
    /// RUN's key holds every ARG's value).
    func metadata(_ keyword: String, _ text: String, _ state: inout State, _ change: (inout ContainerConfig) -> Void) async throws {
        let key = BuildCacheKey(parent: state.record?.id, instruction: "\(keyword) \(text)")
        if let r = await cached(key) { return try reuse(r, &state) }
        var cc = state.cc
        change(&cc)
        state.cc = cc
        try await commit(&state, layer: nil, createdBy: "/bin/sh -c #(nop)  \(keyword) \(text)", key: key)
        say(" ---> \(state.record!.id.short)\n")
    }

    /// The ARGs of the stage that have values (they reach RUN's environment, so they are part
    /// of every RUN's cache key, used by its command or not, as in Docker).
    func visibleArgs(_ state: State) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in state.args { if let v { out[k] = v } }
        return out
    }
}
