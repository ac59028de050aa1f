import BerthOCI

extension Engine {
    /// What pull and push report as they go, in the shape of Docker's JSON progress messages.
    public enum TransferEvent: Sendable, Equatable {
        /// A line of its own: "Pulling from library/busybox" (id: the tag), "Digest: …", "Status: …".
        case status(String, id: String? = nil)
        /// A layer's new state: "Pulling fs layer", "Waiting", "Download complete", "Pull complete",
        /// "Already exists", "Preparing", "Layer already exists", "Pushed", "Mounted from …".
        case layer(id: String, status: String)
        /// Bytes moved for a layer: "Downloading", "Extracting", "Pushing".
        case progress(id: String, status: String, current: Int64, total: Int64)
        /// A manifest was pushed: Docker's `aux` message.
        case pushed(tag: String, digest: Digest, size: Int)
    }
}

/// Downloads in flight, so two pulls needing the same blob fetch it once.
actor Downloads {
    var running: [Digest: Task<Void, any Error>] = [:]

    /// Runs `fetch` for `digest` unless a fetch of it is already running, in which case that
    /// one is awaited instead.
    func once(_ digest: Digest, _ fetch: @escaping @Sendable () async throws -> Void) async throws {
        if let task = running[digest] {
            try await task.value
            return
        }
        let task = Task { try await fetch() }
        running[digest] = task
        defer { running[digest] = nil }
        try await task.value
    }
}
