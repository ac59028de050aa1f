import BerthNetwork
import BerthOCI
import BerthRegistry
import BerthStore
import Foundation

/// berthd's domain services over one data root. Everything the API does goes through here.
public final class Engine: Sendable {
    public let dataRoot: String
    public let content: ContentStore
    public let snapshots: SnapshotStore
    public let images: ImageStore
    /// Which image each build step made (`Build/`).
    public let buildCache: BuildCache
    public let containers: ContainerStore
    public let volumes: VolumeStore
    public let networks: NetworkStore
    let ports = PortReservations()
    let names = ContainerNames()
    let firewall: Firewall
    let firewallSync: FirewallSync
    public let networkOptions: NetworkOptions
    let events = ContainerEvents()
    let restarts = ContainerRestarts()
    let execs = ExecStore()
    /// The distribution client pulls and pushes go through.
    public let registry: RegistryClient
    let downloads = Downloads()
    let healthMonitors = HealthMonitors()
    /// Recent events and live subscribers of `GET /events`.
    public let eventLog = EventLog()
    /// Held while a container starts and while `cp` has its filesystem open, so a stopped
    /// container's overlay is never mounted twice at once.
    let filesystemLocks = KeyedLock()
    /// Runtime state: shim sockets.
    public let execRoot: String
    /// The berth-shim binary berthd starts for each container.
    public let shimPath: String
    /// What berthd executes to start a shim: `/proc/self/fd/N` of one sealed memfd copy of
    /// `shimPath` made at startup, which every shim then shares (a shim started from the file
    /// makes a copy of its own), or `shimPath` when no copy could be made.
    let shimExecutable: ShimExecutable
    /// Scratch space on the same filesystem as the stores (spooled uploads, archives).
    public let tmpDir: String
    public let startedAt = Date()
    /// `--userns-remap`: the ids containers' users map to (nil: containers share the host's).
    public let userNamespaceRemap: UserNamespaceRemap?

    /// Opens (or creates) the stores under `dataRoot` and clears what a crash left half done;
    /// finds the containers whose shims still run and watches them again.
    public init(dataRoot: String, execRoot: String, shimPath: String, network: NetworkOptions = NetworkOptions(),
                userNamespaceRemap: UserNamespaceRemap? = nil, insecureRegistries: InsecureRegistries = InsecureRegistries(),
                registryTimeouts: RegistryTimeouts = RegistryTimeouts()) async throws {
        self.userNamespaceRemap = userNamespaceRemap
        self.dataRoot = dataRoot
        registry = RegistryClient(insecure: insecureRegistries, timeouts: registryTimeouts)
        self.execRoot = execRoot
        self.shimPath = shimPath
        shimExecutable = ShimExecutable(path: shimPath)
        containers = try ContainerStore(root: "\(dataRoot)/containers")
        volumes = try VolumeStore(root: "\(dataRoot)/volumes")
        networks = try NetworkStore(root: "\(dataRoot)/networks", options: network)
        networkOptions = network
        do { firewall = Firewall(backend: try Firewall.detect(network.firewall)) } catch { throw EngineError.from(error) }
        firewallSync = FirewallSync(firewall: firewall)
        try FileSystem.makeDirectory("\(execRoot)/shims")
        content = try ContentStore(root: "\(dataRoot)/content")
        snapshots = try SnapshotStore(root: "\(dataRoot)/layers")
        images = try ImageStore(path: "\(dataRoot)/images.json")
        buildCache = BuildCache(path: "\(dataRoot)/build-cache.json")
        FileSystem.removeTree("\(dataRoot)/builds")
        tmpDir = "\(dataRoot)/tmp"
        FileSystem.removeTree(tmpDir)
        FileSystem.removeTree("\(execRoot)/build-secrets")
        try FileSystem.makeDirectory("\(execRoot)/build-secrets")
        try FileSystem.makeDirectory(tmpDir)
        content.removeStaleIngests()
        snapshots.removeStale()
        // Nothing is in flight yet, so whatever no image references was left by an interrupted
        // operation and can go.
        _ = await images.collectGarbage(content: content, snapshots: snapshots)
        DiskReserve.install(dataRoot: dataRoot)
        await adoptVolumeUsers()
        await startNetworking()
        await adoptContainers()
    }

    /// Runs `body` with a lease that keeps what it writes safe from garbage collection. When
    /// the body fails, or `collect` is set, what it left unreferenced is collected after.
    func withLease<T: Sendable>(collect: Bool = false, _ body: (UUID) async throws -> T) async throws -> T {
        let lease = await images.lease([])
        do {
            let result = try await body(lease)
            await images.release(lease)
            if collect { _ = await collectGarbage() }
            return result
        } catch {
            await images.release(lease)
            _ = await collectGarbage()
            throw error
        }
    }

    /// A fresh path in the scratch directory.
    public func scratchPath(_ suffix: String = "") -> String { "\(tmpDir)/\(UUID().uuidString)\(suffix)" }

    /// Where a build step's secret files live while it runs: under the exec root (a tmpfs on a
    /// usual host, so never on disk), emptied when berthd starts.
    public func secretScratchPath() -> String { "\(execRoot)/build-secrets/\(UUID().uuidString)" }

    /// What long image work reports as it goes.
    public enum Progress: Sendable {
        /// A layer is unpacked (or was already): its diff_id and content size.
        case layer(Digest, bytes: Int64)
        /// A line for the user, e.g. "Loaded image: busybox:latest".
        case message(String)
    }

    /// Unpacks the layers of an image in order (skipping those already unpacked).
    func unpackLayers(_ layers: [Descriptor], diffIDs: [Digest], progress: @Sendable (Progress) -> Void = { _ in }) async throws -> Int64 {
        guard layers.count == diffIDs.count else {
            throw EngineError(.invalid, "image has \(layers.count) layers but its config lists \(diffIDs.count) diff_ids")
        }
        let chain = ChainID.of(diffIDs)
        var total: Int64 = 0
        for (i, layer) in layers.enumerated() {
            let snapshots = self.snapshots
            let blob = content.path(layer.digest)
            let parent = i > 0 ? chain[i - 1] : nil
            let diffID = diffIDs[i]
            let chainID = chain[i]
            let snap = try await Blocking.run {
                try snapshots.unpack(blobPath: blob, chainID: chainID, diffID: diffID, parent: parent)
            }
            total += snap.size
            progress(.layer(diffID, bytes: snap.size))
        }
        return total
    }

    /// Stores config and manifest for layers already in the content store, unpacks them, and
    /// records the image with its tags in one durable step.
    func commitImage(config: Data, layers: [Descriptor], tags: [Reference], manifest existing: (Data, String)? = nil, repoDigests: [String] = [],
                     lease: UUID, progress: @Sendable (Progress) -> Void = { _ in }) async throws -> ImageRecord {
        let cfg = try ImageConfig.decode(config)
        let configDigest = try content.write(config)
        await images.extend(lease, with: [configDigest])
        let manifestData: Data
        let manifestType: String
        if let existing {
            (manifestData, manifestType) = existing
        } else {
            let m = Manifest(config: Descriptor(mediaType: MediaType.ociConfig, digest: configDigest, size: Int64(config.count)), layers: layers)
            let e = JSONEncoder()
            e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            manifestData = try e.encode(m)
            manifestType = MediaType.ociManifest
        }
        let manifestDigest = try content.write(manifestData)
        await images.extend(lease, with: [manifestDigest])
        let size = try await unpackLayers(layers, diffIDs: cfg.rootfs.diffIDs, progress: progress)
        let record = ImageRecord(
            id: configDigest,
            manifest: Descriptor(mediaType: manifestType, digest: manifestDigest, size: Int64(manifestData.count)),
            layers: layers, diffIDs: cfg.rootfs.diffIDs,
            created: cfg.created.flatMap(GoTime.parse), size: size, added: Date(), repoDigests: repoDigests)
        try await images.add(record, tags: tags)
        return record
    }
}

/// Go's RFC 3339 timestamps, as Docker writes them.
public enum GoTime {
    public static func parse(_ s: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: s) { return d }
        // Go writes up to 9 fractional digits; Foundation reads 3 at most.
        if let dot = s.firstIndex(of: "."), let end = s[dot...].firstIndex(where: { $0 == "Z" || $0 == "+" || $0 == "-" }) {
            let trimmed = String(s[..<dot]) + "." + String(s[s.index(after: dot)..<end].prefix(3)) + String(s[end...])
            if let d = f.date(from: trimmed) { return d }
        }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: s)
    }

    /// `2026-11-24T01:48:00.123456789Z`
    public static func format(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: d)
    }
}
