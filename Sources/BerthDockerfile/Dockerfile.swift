/// A parsed Dockerfile: the ARGs before the first FROM, then one stage per FROM.
public struct Dockerfile: Sendable, Equatable {
    /// ARGs before the first FROM (usable in FROM lines, and in a stage after a bare `ARG name`).
    public var globalArgs: [ArgDeclaration]
    public var stages: [Stage]
    /// From the `# escape=` directive; `\` by default.
    public var escape: Character
    /// What BuildKit would warn about, e.g. "Dockerfile:3: MAINTAINER: MAINTAINER is deprecated. ...".
    public var warnings: [String]

    public init(globalArgs: [ArgDeclaration], stages: [Stage], escape: Character = "\\", warnings: [String] = []) {
        self.globalArgs = globalArgs
        self.stages = stages
        self.escape = escape
        self.warnings = warnings
    }

    /// The stage named (case-insensitive) or numbered `ref`, as `COPY --from` and `--target` use it.
    public func stage(named ref: String) -> Stage? {
        let lowered = ref.lowercased()
        if let stage = stages.first(where: { $0.name == lowered }) { return stage }
        if let index = Int(ref), index >= 0, index < stages.count { return stages[index] }
        return nil
    }
}

/// One `FROM` and the instructions that follow it up to the next `FROM`.
public struct Stage: Sendable, Equatable {
    public var index: Int
    /// The lower-cased `AS name`.
    public var name: String?
    /// The image word after FROM, unexpanded (it may contain `$ARG`s).
    public var base: String
    /// `FROM --platform=`, unexpanded.
    public var platform: String?
    public var location: SourceLocation
    public var instructions: [Instruction]

    public init(index: Int, name: String?, base: String, platform: String?, location: SourceLocation, instructions: [Instruction]) {
        self.index = index
        self.name = name
        self.base = base
        self.platform = platform
        self.location = location
        self.instructions = instructions
    }
}

/// One instruction with where it came from.
public struct Instruction: Sendable, Equatable {
    public var command: Command
    public var location: SourceLocation
    /// The instruction's text with continuations joined and heredoc bodies appended; for history and cache keys.
    public var original: String

    public init(command: Command, location: SourceLocation, original: String) {
        self.command = command
        self.location = location
        self.original = original
    }
}

/// What an instruction asks for. Words stay unexpanded: the builder expands them with `VariableExpander`
/// against the ARGs and ENVs in scope, as Docker does at build time.
public indirect enum Command: Sendable, Equatable {
    case run(RunCommand)
    case copy(CopyCommand)
    case add(CopyCommand)
    case env([KeyValue])
    case arg([ArgDeclaration])
    case label([KeyValue])
    case workdir(String)
    case user(String)
    /// Unexpanded words, e.g. "80/tcp", "$PORT".
    case expose([String])
    case volume([String])
    case cmd(CommandForm)
    case entrypoint(CommandForm)
    case shell([String])
    case healthcheck(HealthcheckCommand)
    case stopsignal(String)
    case onbuild(Instruction)
    case maintainer(String)

    /// The upper-case keyword of this command.
    public var keyword: String {
        switch self {
        case .run: "RUN"
        case .copy: "COPY"
        case .add: "ADD"
        case .env: "ENV"
        case .arg: "ARG"
        case .label: "LABEL"
        case .workdir: "WORKDIR"
        case .user: "USER"
        case .expose: "EXPOSE"
        case .volume: "VOLUME"
        case .cmd: "CMD"
        case .entrypoint: "ENTRYPOINT"
        case .shell: "SHELL"
        case .healthcheck: "HEALTHCHECK"
        case .stopsignal: "STOPSIGNAL"
        case .onbuild: "ONBUILD"
        case .maintainer: "MAINTAINER"
        }
    }
}

/// The JSON array (exec) form or the shell form of RUN, CMD, ENTRYPOINT and HEALTHCHECK CMD.
public enum CommandForm: Sendable, Equatable {
    case exec([String])
    case shell(String)
}

public struct RunCommand: Sendable, Equatable {
    public var form: CommandForm
    /// `--mount=...`, in order.
    public var mounts: [RunMount]
    /// `--network=default|none|host`.
    public var network: String?
    /// `RUN <<EOF ...`: the form is then `.shell` of the instruction's first line (e.g. `<<EOF` or `python3 <<EOF`).
    public var heredocs: [Heredoc]

    public init(form: CommandForm, mounts: [RunMount] = [], network: String? = nil, heredocs: [Heredoc] = []) {
        self.form = form
        self.mounts = mounts
        self.network = network
        self.heredocs = heredocs
    }
}

/// One `RUN --mount=` (BuildKit's grammar).
public struct RunMount: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable, CaseIterable { case bind, cache, tmpfs, secret, ssh }
    public var kind: Kind
    /// Where it appears in the container; defaulted for secret (`/run/secrets/<id>`) and ssh.
    public var target: String
    public var source: String?
    /// A stage name or image for bind and cache sources.
    public var from: String?
    /// Bind mounts default to read-only, the others to read-write.
    public var readOnly: Bool
    public var id: String?
    /// shared|private|locked (cache).
    public var sharing: String?
    /// Everything else, verbatim (mode, uid, gid, size, required, env ...).
    public var options: [String: String]

    public init(kind: Kind, target: String, source: String? = nil, from: String? = nil, readOnly: Bool,
                id: String? = nil, sharing: String? = nil, options: [String: String] = [:]) {
        self.kind = kind
        self.target = target
        self.source = source
        self.from = from
        self.readOnly = readOnly
        self.id = id
        self.sharing = sharing
        self.options = options
    }
}

/// COPY and ADD.
public struct CopyCommand: Sendable, Equatable {
    /// Unexpanded; globs or (ADD) URLs. Heredoc markers (`<<EOF`) are not here but in `heredocs`.
    public var sources: [String]
    public var destination: String
    public var from: String?
    public var chown: String?
    public var chmod: String?
    public var link: Bool
    /// `COPY <<EOF /dest`: each becomes a file named after its delimiter.
    public var heredocs: [Heredoc]

    public init(sources: [String], destination: String, from: String? = nil, chown: String? = nil,
                chmod: String? = nil, link: Bool = false, heredocs: [Heredoc] = []) {
        self.sources = sources
        self.destination = destination
        self.from = from
        self.chown = chown
        self.chmod = chmod
        self.link = link
        self.heredocs = heredocs
    }
}

/// A here-document: the lines after the instruction up to the delimiter line.
public struct Heredoc: Sendable, Equatable {
    public var name: String
    /// Every line ends with "\n"; with `chomp`, leading tabs are already stripped.
    public var content: String
    /// false when the delimiter was quoted (`<<"EOF"`, `<<'EOF'`): no variable expansion.
    public var expand: Bool
    /// `<<-`: leading tabs stripped from the body and the delimiter line.
    public var chomp: Bool

    public init(name: String, content: String, expand: Bool, chomp: Bool) {
        self.name = name
        self.content = content
        self.expand = expand
        self.chomp = chomp
    }
}

/// ENV and LABEL pairs; unexpanded, quotes kept for the expander.
public struct KeyValue: Sendable, Equatable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// `ARG name[=default]`; the default unexpanded.
public struct ArgDeclaration: Sendable, Equatable {
    public var name: String
    public var defaultValue: String?

    public init(name: String, defaultValue: String? = nil) {
        self.name = name
        self.defaultValue = defaultValue
    }
}

public enum HealthcheckCommand: Sendable, Equatable {
    /// `HEALTHCHECK NONE`: disable any inherited check.
    case none
    /// Durations are Go duration strings as written (validated: 0 or at least 1ms).
    case check(test: CommandForm, interval: String?, timeout: String?, startPeriod: String?, startInterval: String?, retries: Int?)
}
