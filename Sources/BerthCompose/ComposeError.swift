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
    /// A key or value that the compose specification does not allow there; `line` is where
    /// `path` starts in the file, when the file says (not for what an alias or `<<` brought in).
    case invalid(file: String, line: Int? = nil, path: String, problem: String)
    /// A key of the compose specification that berth does not implement yet.
    case unsupported(file: String, line: Int? = nil, path: String)
    /// `${VAR:?message}` with VAR unset, or a malformed `$` expression.
    case interpolation(file: String, line: Int? = nil, path: String, problem: String)
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
        case .invalid(let file, let line, let path, let problem):
            return "validating \(Self.place(file, line)): \(path.isEmpty ? "(root)" : path) \(problem)"
        case .unsupported(let file, let line, let path): return "\(Self.place(file, line)): \(path) is not supported by berth compose yet"
        case .interpolation(let file, let line, let path, let problem): return "\(Self.place(file, line)): error while interpolating \(path): \(problem)"
        case .invalidProject(let problem): return "\(problem): invalid compose project"
        case .projectName(let problem): return problem
        case .envFile(let path, let line, let problem): return "\(path):\(line): \(problem)"
        }
    }

    /// `file:line`, or the file alone.
    static func place(_ file: String, _ line: Int?) -> String { line.map { "\(file):\($0)" } ?? file }

    /// The same error with the line `path` starts on, from `lines` (`YAMLReader.lines`): the
    /// nearest enclosing key the file spells out.
    func located(_ lines: [String: Int]) -> ComposeError {
        func line(_ path: String) -> Int? {
            var parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            // An unsupported long-volume type names "…type npipe".
            if let last = parts.last, let space = last.firstIndex(of: " ") { parts[parts.count - 1] = String(last[..<space]) }
            while !parts.isEmpty {
                if let n = lines[parts.joined(separator: ".")] { return n }
                parts.removeLast()
            }
            return nil
        }
        switch self {
        case .invalid(let file, nil, let path, let problem):
            // "additional properties 'k' not allowed" is about the key, not its mapping.
            let key = problem.hasPrefix("additional properties '") ? problem.dropFirst(23).prefix { $0 != "'" } : nil
            let at = key.flatMap { lines[path.isEmpty ? String($0) : path + "." + $0] } ?? line(path)
            return .invalid(file: file, line: at, path: path, problem: problem)
        case .unsupported(let file, nil, let path): return .unsupported(file: file, line: line(path), path: path)
        case .interpolation(let file, nil, let path, let problem): return .interpolation(file: file, line: line(path), path: path, problem: problem)
        default: return self
        }
    }
}
