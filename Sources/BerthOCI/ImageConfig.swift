import Foundation

/// The image configuration (OCI config.md / Docker image JSON). Decoded to read; the stored
/// bytes stay the source of truth so digests never change on a round trip.
public struct ImageConfig: Codable, Hashable, Sendable {
    public var created: String?
    public var author: String?
    public var architecture: String
    public var os: String
    public var variant: String?
    public var config: ContainerConfig?
    public var rootfs: RootFS
    public var history: [History]?

    public init(architecture: String, os: String, config: ContainerConfig?, rootfs: RootFS, history: [History]?, created: String?) {
        self.architecture = architecture
        self.os = os
        self.config = config
        self.rootfs = rootfs
        self.history = history
        self.created = created
    }

    public struct RootFS: Codable, Hashable, Sendable {
        public var type: String
        public var diffIDs: [Digest]
        enum CodingKeys: String, CodingKey {
            case type
            case diffIDs = "diff_ids"
        }
        public init(diffIDs: [Digest]) {
            self.type = "layers"
            self.diffIDs = diffIDs
        }
    }

    public struct History: Codable, Hashable, Sendable {
        public var created: String?
        public var createdBy: String?
        public var author: String?
        public var comment: String?
        public var emptyLayer: Bool?
        enum CodingKeys: String, CodingKey {
            case created, author, comment
            case createdBy = "created_by"
            case emptyLayer = "empty_layer"
        }
        public init(created: String?, createdBy: String?, comment: String? = nil, emptyLayer: Bool? = nil) {
            self.created = created
            self.createdBy = createdBy
            self.comment = comment
            self.emptyLayer = emptyLayer
        }
    }

    /// Decodes a config blob with a clear error.
    public static func decode(_ data: Data) throws(OCIError) -> ImageConfig {
        do { return try JSONDecoder().decode(ImageConfig.self, from: data) } catch {
            throw OCIError(.invalid, "malformed image config: \(error)")
        }
    }

    /// Canonical bytes for a config made here: sorted keys, so equal configs have equal digests.
    public func encoded() -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain value types into JSON cannot fail.
        return (try? e.encode(self)) ?? Data()
    }
}

/// The run defaults an image carries (`config` in the image JSON). Docker capitalizes these keys.
public struct ContainerConfig: Codable, Hashable, Sendable {
    public var user: String?
    public var exposedPorts: [String: Empty]?
    public var env: [String]?
    public var entrypoint: [String]?
    public var cmd: [String]?
    public var volumes: [String: Empty]?
    public var workingDir: String?
    public var labels: [String: String]?
    public var stopSignal: String?
    public var onBuild: [String]?
    public var shell: [String]?
    public var healthcheck: Healthcheck?

    enum CodingKeys: String, CodingKey {
        case user = "User", exposedPorts = "ExposedPorts", env = "Env", entrypoint = "Entrypoint", cmd = "Cmd"
        case volumes = "Volumes", workingDir = "WorkingDir", labels = "Labels", stopSignal = "StopSignal"
        case onBuild = "OnBuild", shell = "Shell", healthcheck = "Healthcheck"
    }

    public init() {}

    /// `{}` in JSON maps such as ExposedPorts; also accepts `null`.
    public struct Empty: Codable, Hashable, Sendable {
        public init() {}
        public init(from decoder: Decoder) throws {}
        public func encode(to encoder: Encoder) throws {
            _ = encoder.container(keyedBy: CodingKeys.self)
        }
        enum CodingKeys: CodingKey {}
    }

    /// Docker's HEALTHCHECK: `Test` is `[]` (inherit), `["NONE"]`, `["CMD", args…]` or
    /// `["CMD-SHELL", command]`; durations are nanoseconds, 0 meaning Docker's default.
    public struct Healthcheck: Codable, Hashable, Sendable {
        public var test: [String]?
        public var interval: Int64?
        public var timeout: Int64?
        public var startPeriod: Int64?
        public var startInterval: Int64?
        public var retries: Int?
        public init(test: [String]?) { self.test = test }
        enum CodingKeys: String, CodingKey {
            case test = "Test", interval = "Interval", timeout = "Timeout", startPeriod = "StartPeriod"
            case startInterval = "StartInterval", retries = "Retries"
        }
    }
}

/// Layer identity: the chain id of the first n layers (OCI config.md), naming unpacked snapshots.
public enum ChainID {
    public static func of(_ diffIDs: [Digest]) -> [Digest] {
        var out: [Digest] = []
        for d in diffIDs {
            if let prev = out.last {
                out.append(Digest.sha256(of: Array("\(prev) \(d)".utf8)))
            } else {
                out.append(d)
            }
        }
        return out
    }
}
