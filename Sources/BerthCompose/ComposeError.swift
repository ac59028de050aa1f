/// Why a compose project could not be loaded. `description` words it the way docker compose does
/// where it has a wording ("validating compose.yaml: services.web.ports.0 must be a string or number").
public enum ComposeError: Error, Equatable, CustomStringConvertible {
    /// No compose file in the directory or any parent.
    case noComposeFile(directory: String)
    /// A compose or env file could not be read.
    case unreadable(path: String, reason: String)
    /// The file is larger than `YAMLLimits.maxBytes`.
    case tooLarge(file: String, bytes: Int, limit: Int)
    /// libyaml refused the text, or the document is not one compose can take (several documents, complex keys).
    case yaml(file: String, line: Int, column: Int, problem: String)
    /// Aliases would expand the document beyond `YAMLLimits.maxNodes` ("billion laughs"), or it nests too deep.
    case tooComplex(file: String, problem: String)
    /// A key or value that the compose specification does not allow there.
    case invalid(file: String, path: String, problem: String)
    /// A key of the compose specification that berth does not implement yet.
    case unsupported(file: String, path: String)
    /// `${VAR:?message}` with VAR unset, or a malformed `$` expression.
    case interpolation(file: String, path: String, problem: String)
    /// The merged project is inconsistent (an undefined network, volume or dependency; no image nor build).
    case invalidProject(String)
    /// `-p`, COMPOSE_PROJECT_NAME or `name:` is not a valid project name.
    case projectName(String)
    /// A line of a `.env` / `env_file` file that cannot be read.
    case envFile(path: String, line: Int, problem: String)

    public var description: String {
        switch self {
        case .noComposeFile(let dir):
            return "no configuration file provided: not found (looked for compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml in \(dir) and its parents)"
        case .unreadable(let path, let reason): return "\(path): \(reason)"
        case .tooLarge(let file, let bytes, let limit): return "\(file): the file has \(bytes) bytes; compose files are limited to \(limit)"
        case .yaml(let file, let line, let column, let problem): return "yaml: \(file): line \(line), column \(column): \(problem)"
        case .tooComplex(let file, let problem): return "\(file): \(problem)"
        case .invalid(let file, let path, let problem): return "validating \(file): \(path.isEmpty ? "(root)" : path) \(problem)"
        case .unsupported(let file, let path): return "\(file): \(path) is not supported by berth compose yet"
        case .interpolation(let file, let path, let problem): return "\(file): error while interpolating \(path): \(problem)"
        case .invalidProject(let problem): return "\(problem): invalid compose project"
        case .projectName(let problem): return problem
        case .envFile(let path, let line, let problem): return "\(path):\(line): \(problem)"
        }
    }
}
