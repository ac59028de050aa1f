/// One service of a compose project. Every field is optional so that a later file (`-f a -f b`)
/// overrides only what it names (`Service.merge`).
public struct Service: Sendable, Equatable {
    public var name: String
    public var image: String?
    public var build: Build?
    public var command: [String]?
    public var entrypoint: [String]?
    /// Variables; nil values are unset in the environment compose ran in.
    public var environment: [String: String?]?
    public var envFiles: [EnvFile]?
    public var ports: [ServicePort]?
    public var volumes: [ServiceVolume]?
    /// Networks by name; nil when the service gives none (it joins `default`).
    public var networks: [String: ServiceNetwork]?
    public var dependsOn: [String: Dependency]?
    public var restart: String?
    public var healthcheck: Healthcheck?
    public var user: String?
    public var workingDir: String?
    public var hostname: String?
    public var labels: [String: String]?
    public var expose: [String]?
    public var containerName: String?
    public var profiles: [String]?
    public var stopSignal: String?
    public var stopGracePeriod: Duration?
    public var tty: Bool?
    public var stdinOpen: Bool?
    public var initProcess: Bool?
    public var capAdd: [String]?
    public var capDrop: [String]?
    /// Bytes.
    public var memLimit: Int64?
    /// `host=address` entries, in order.
    public var extraHosts: [String]?
    public var dns: [String]?

    public init(name: String) { self.name = name }

    /// `build:`: a context path or the long form.
    public struct Build: Sendable, Equatable {
        public var context: String?
        public var dockerfile: String?
        public var args: [String: String?]?
        public var target: String?
    }

    /// One `env_file` entry.
    public struct EnvFile: Sendable, Equatable {
        public var path: String
        public var required: Bool = true
        /// `raw`: every line `KEY=VALUE` taken as written (no quotes, escapes nor `${}`); nil: compose's dotenv format.
        public var format: String?
    }

    /// A service's attachment to one network.
    public struct ServiceNetwork: Sendable, Equatable {
        public var aliases: [String]?
        public var ipv4Address: String?
        public var ipv6Address: String?
        public var isEmpty: Bool { aliases == nil && ipv4Address == nil && ipv6Address == nil }
    }

    /// `depends_on` for one service.
    public struct Dependency: Sendable, Equatable {
        public var condition: String = "service_started"
        public var required: Bool = true
        public var restart: Bool?
    }

    /// `healthcheck:`.
    public struct Healthcheck: Sendable, Equatable {
        public var test: [String]?
        public var interval: Duration?
        public var timeout: Duration?
        public var startPeriod: Duration?
        public var startInterval: Duration?
        public var retries: Int?
        public var disable: Bool?
    }
}

/// One entry of a service's `volumes:` in the long form.
public struct ServiceVolume: Sendable, Equatable {
    public enum Kind: String, Sendable { case bind, volume, tmpfs }
    public var type: Kind
    /// Host path (bind, absolute once loaded), volume name (nil: anonymous), nil for tmpfs.
    public var source: String?
    public var target: String
    public var readOnly: Bool = false
    /// Short syntax binds create a missing host directory (compose's `bind.create_host_path`).
    public var createHostPath: Bool?
    public var propagation: String?
    public var selinux: String?
    public var noCopy: Bool?
    public var subpath: String?
    public var tmpfsSize: Int64?
    public var tmpfsMode: Int?
    public var consistency: String?
}

/// A top-level `networks:` entry.
public struct Network: Sendable, Equatable {
    public var name: String?
    public var driver: String?
    public var driverOpts: [String: String]?
    public var external: Bool?
    public var labels: [String: String]?
    public var `internal`: Bool?
    public var attachable: Bool?
    public var enableIPv6: Bool?
    public var ipam: IPAM?

    public struct IPAM: Sendable, Equatable {
        public var driver: String?
        public var config: [Pool]
        public struct Pool: Sendable, Equatable {
            public var subnet: String?
            public var gateway: String?
            public var ipRange: String?
        }
    }
}

/// A top-level `volumes:` entry.
public struct Volume: Sendable, Equatable {
    public var name: String?
    public var driver: String?
    public var driverOpts: [String: String]?
    public var external: Bool?
    public var labels: [String: String]?
}
