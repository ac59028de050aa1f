/// A loaded compose project: every file merged, interpolated, checked and normalised the way
/// `docker compose config` shows it (absolute paths, long-form ports and volumes, the default
/// network, project-prefixed network and volume names).
public struct ComposeProject: Sendable, Equatable {
    public var name: String
    /// The project directory: relative paths in every file are resolved against it.
    public var workingDir: String
    /// The compose files, in merge order (absolute paths; "-" for stdin).
    public var files: [String]
    /// The services whose profiles are active, by name.
    public var services: [String: Service]
    /// Networks by their key in the file; `name` is the engine's name for it.
    public var networks: [String: Network]
    /// Volumes by their key in the file; `name` is the engine's name for it.
    public var volumes: [String: Volume]
    /// Notes docker compose prints as warnings (unset variables, an obsolete `version:`).
    public var warnings: [String]
    /// Services of the files whose profiles are off: their containers are not orphans.
    public var disabledServices: [String] = []

    /// Whether a container of the project, labelled with `service`, belongs to no service of the
    /// files (renamed or removed since `up`): `down` leaves those unless `--remove-orphans`.
    public func isOrphan(service: String?) -> Bool {
        guard let service else { return true }
        return services[service] == nil && !disabledServices.contains(service)
    }
}

/// What the command line says about where and how to load a project (docker compose's global flags).
public struct ProjectOptions: Sendable {
    /// `-f`, in order; empty: COMPOSE_FILE, then the first of compose.yaml, compose.yml,
    /// docker-compose.yml, docker-compose.yaml in the working directory or a parent (with its
    /// `.override` file beside it).
    public var files: [String] = []
    /// `-p`.
    public var projectName: String?
    /// `--project-directory`; default: the first file's directory.
    public var projectDirectory: String?
    /// `--env-file`; default: `.env` in the project directory, when there is one.
    public var envFiles: [String] = []
    /// `--profile` (and COMPOSE_PROFILES).
    public var profiles: [String] = []
    /// The process environment (it wins over `.env`).
    public var environment: [String: String]
    /// Where relative `-f`, `--env-file` and `--project-directory` start.
    public var workingDirectory: String
    /// What `-f -` reads.
    public var standardInput: @Sendable () -> [UInt8] = { [] }
    public var limits = YAMLLimits()

    public init(environment: [String: String], workingDirectory: String) {
        self.environment = environment
        self.workingDirectory = workingDirectory
    }
}
