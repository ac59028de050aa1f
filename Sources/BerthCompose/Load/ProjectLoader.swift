import Foundation

/// Loads a compose project the way docker compose v2 does: file discovery, `.env`,
/// interpolation, merge, project name, profiles, then checks and normalisation.
public enum ProjectLoader {
    /// File names docker compose looks for, in its order of preference.
    public static let fileNames = ["compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"]

    public static func load(_ options: ProjectOptions) throws -> ComposeProject {
        let cwd = options.workingDirectory
        var files = options.files.map { $0 == "-" ? "-" : Paths.absolute($0, from: cwd) }
        if files.isEmpty, let list = options.environment["COMPOSE_FILE"], !list.isEmpty {
            let separator = options.environment["COMPOSE_PATH_SEPARATOR"].flatMap(\.first) ?? ":"
            files = list.split(separator: separator).map { Paths.absolute(String($0), from: cwd) }
        }
        if files.isEmpty { files = try discover(from: cwd) }
        let projectDir = options.projectDirectory.map { Paths.absolute($0, from: cwd) }
            ?? (files[0] == "-" ? cwd : Paths.directory(of: files[0]))

        // Variables: the env files, then the process environment over them.
        var variables: [String: String] = [:]
        let envFiles = options.envFiles.isEmpty ? [projectDir + "/.env"].filter { FileManager.default.fileExists(atPath: $0) }
            : options.envFiles.map { Paths.absolute($0, from: cwd) }
        for path in envFiles {
            for (key, value) in try DotEnv.load(path: path, lookup: options.environment.merging(variables) { _, v in v }) { variables[key] = value }
        }
        variables.merge(options.environment) { _, process in process }

        var warnings: [String] = []
        var unset: Set<String> = []
        var fileName: String?
        var services: [String: Service] = [:], serviceOrder: [String] = []
        var networks: [String: Network] = [:], volumes: [String: Volume] = [:]
        for path in files {
            let data: Data
            if path == "-" {
                data = Data(options.standardInput())
            } else {
                data = try BoundedFile.read(path, limit: options.limits.maxBytes)
            }
            let parsed = try parse(data, file: path, variables: variables, limits: options.limits)
            unset.formUnion(parsed.unset)
            warnings += parsed.file.warnings
            fileName = parsed.file.name ?? fileName
            for s in parsed.file.services {
                if let base = services[s.name] { services[s.name] = base.merged(with: s) } else { services[s.name] = s; serviceOrder.append(s.name) }
            }
            for (k, n) in parsed.file.networks { networks[k] = networks[k].map { $0.merged(with: n) } ?? n }
            for (k, v) in parsed.file.volumes { volumes[k] = volumes[k].map { $0.merged(with: v) } ?? v }
        }
        warnings = unset.sorted().map { "The \"\($0)\" variable is not set. Defaulting to a blank string." } + warnings

        let name = try projectName(options: options, variables: variables, fileName: fileName, projectDir: projectDir)
        var activeProfiles = Set(options.profiles)
        if options.profiles.isEmpty, let env = variables["COMPOSE_PROFILES"] {
            activeProfiles = Set(env.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        }
        let active = services.filter { _, s in
            guard let profiles = s.profiles, !profiles.isEmpty else { return true }
            return activeProfiles.contains("*") || profiles.contains(where: activeProfiles.contains)
        }

        var project = ComposeProject(name: name, workingDir: projectDir, files: files, services: [:], networks: [:], volumes: [:], warnings: warnings)
        project.disabledServices = serviceOrder.filter { active[$0] == nil }
        for key in serviceOrder where active[key] != nil {
            project.services[key] = try normalise(active[key]!, all: services, active: active, networks: networks, volumes: volumes,
                                                  projectDir: projectDir, variables: variables, home: options.environment["HOME"])
        }
        if project.services.values.contains(where: { $0.networks?["default"] != nil }), networks["default"] == nil {
            networks["default"] = Network()
        }
        for (key, var n) in networks {
            if n.name == nil { n.name = n.external == true ? key : "\(name)_\(key)" }
            project.networks[key] = n
        }
        for (key, var v) in volumes {
            if v.name == nil { v.name = v.external == true ? key : "\(name)_\(key)" }
            project.volumes[key] = v
        }
        return project
    }

    /// One file read, interpolated and decoded.
    static func parse(_ data: Data, file: String, variables: [String: String], limits: YAMLLimits) throws -> (file: ComposeFile, unset: Set<String>) {
        guard let root = try YAMLReader.read(data, file: file, limits: limits) else {
            throw ComposeError.invalid(file: file, path: "", problem: "is empty: a compose file needs at least a services: mapping")
        }
        do {
            var interpolation = Interpolation(variables: variables)
            let expanded = try interpolation.expand(root, file: file)
            return (try FileDecoder(read: NodeReader(file: file)).decode(expanded), interpolation.unset)
        } catch let error as ComposeError {
            // Read the file again for positions only when there is something to place.
            throw error.located(YAMLReader.lines(of: data, file: file, limits: limits))
        }
    }

    /// The first compose file in `dir` or its nearest parent that has one, and its override file.
    static func discover(from dir: String) throws -> [String] {
        var current = dir
        while true {
            for name in fileNames where FileManager.default.fileExists(atPath: current + "/" + name) {
                let base = current == "/" ? "/" + name : current + "/" + name
                let ext = name.hasSuffix(".yaml") ? ".yaml" : ".yml"
                let stem = name.dropLast(ext.count)
                let overrides = ["\(stem).override\(ext)", "\(stem).override\(ext == ".yaml" ? ".yml" : ".yaml")"]
                    .map { Paths.directory(of: base) + "/" + $0 }
                    .filter { FileManager.default.fileExists(atPath: $0) }
                return [base] + overrides.prefix(1)
            }
            if current == "/" || current.isEmpty { throw ComposeError.noComposeFile(directory: dir) }
            current = Paths.directory(of: current)
        }
    }

    /// `-p`, COMPOSE_PROJECT_NAME, `name:`, or the project directory's name made valid.
    static func projectName(options: ProjectOptions, variables: [String: String], fileName: String?, projectDir: String) throws -> String {
        let explicit = options.projectName ?? variables["COMPOSE_PROJECT_NAME"].flatMap { $0.isEmpty ? nil : $0 } ?? fileName
        if let explicit {
            guard isValidProjectName(explicit) else {
                throw ComposeError.projectName("invalid project name \(explicit.debugDescription): it must contain only lowercase letters, decimal digits, dashes, and underscores, and must begin with a lowercase letter or decimal digit")
            }
            return explicit
        }
        let base = projectDir.split(separator: "/").last.map(String.init) ?? ""
        let normalised = String(base.lowercased().filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }.drop { $0 == "_" || $0 == "-" })
        guard !normalised.isEmpty else {
            throw ComposeError.projectName("project name must not be empty: the directory name \(base.debugDescription) has no usable characters; give one with -p")
        }
        return normalised
    }

    /// Lowercase letters, digits, `-` and `_`, starting with a letter or digit (docker compose's rule).
    public static func isValidProjectName(_ s: String) -> Bool {
        guard let first = s.first, first.isASCII, first.isLowercase || first.isNumber else { return false }
        return s.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_" || $0 == "-") }
    }

    /// Checks what only the merged project can tell, and fills in compose's defaults.
    static func normalise(_ service: Service, all: [String: Service], active: [String: Service], networks: [String: Network], volumes: [String: Volume],
                          projectDir: String, variables: [String: String], home: String?) throws -> Service {
        var s = service
        let name = s.name
        guard s.image != nil || s.build != nil else {
            throw ComposeError.invalidProject("service \(name.debugDescription) has neither an image nor a build context specified")
        }
        if var build = s.build {
            let context = build.context ?? "."
            let isRemote = ["http://", "https://", "git://", "git@", "github.com/"].contains { context.hasPrefix($0) }
            build.context = isRemote ? context : Paths.absolute(Paths.expandHome(context, home: home), from: projectDir)
            build.dockerfile = build.dockerfile ?? "Dockerfile"
            s.build = build
        }
        // env_file first, `environment` over it; a variable without a value comes from compose's environment.
        if let envFiles = s.envFiles {
            var env: [String: String?] = [:]
            s.envFiles = try envFiles.map { file in
                let path = Paths.absolute(Paths.expandHome(file.path, home: home), from: projectDir)
                if !FileManager.default.fileExists(atPath: path) {
                    if file.required { throw ComposeError.unreadable(path: path, reason: "env file not found (service \(name.debugDescription))") }
                } else {
                    let entries = file.format == "raw" ? try DotEnv.loadRaw(path: path, lookup: variables) : try DotEnv.load(path: path, lookup: variables)
                    for (key, value) in entries { env[key] = .some(value) }
                }
                return Service.EnvFile(path: path, required: file.required, format: file.format)
            }
            s.environment = env.merging(s.environment ?? [:]) { _, explicit in explicit }
        }
        if let environment = s.environment {
            var resolved: [String: String?] = [:]
            for (key, value) in environment { resolved[key] = .some(value ?? variables[key]) }
            s.environment = resolved
        }
        if let mounts = s.volumes {
            s.volumes = try mounts.map { mount in
                var m = mount
                switch m.type {
                case .bind:
                    m.source = Paths.absolute(Paths.expandHome(m.source ?? "", home: home), from: projectDir)
                case .volume:
                    if let source = m.source, volumes[source] == nil {
                        throw ComposeError.invalidProject("service \(name.debugDescription) refers to undefined volume \(source)")
                    }
                case .tmpfs:
                    break
                }
                return m
            }
        }
        if s.networks == nil || s.networks!.isEmpty { s.networks = ["default": Service.ServiceNetwork()] }
        for network in s.networks!.keys where network != "default" && networks[network] == nil {
            throw ComposeError.invalidProject("service \(name.debugDescription) refers to undefined network \(network)")
        }
        for (dependency, d) in s.dependsOn ?? [:] {
            guard all[dependency] != nil else {
                throw ComposeError.invalidProject("service \(name.debugDescription) depends on undefined service \(dependency.debugDescription)")
            }
            if active[dependency] == nil && d.required {
                throw ComposeError.invalidProject("service \(dependency.debugDescription) is required by \(name.debugDescription) but is disabled (its profiles are not active)")
            }
        }
        if let period = s.stopGracePeriod, period.nanoseconds < 0 {
            throw ComposeError.invalidProject("service \(name.debugDescription): stop_grace_period must not be negative")
        }
        return s
    }
}

/// Path spelling without touching the file system (Go's filepath.Clean and Join).
enum Paths {
    static func absolute(_ path: String, from base: String) -> String {
        clean(path.hasPrefix("/") ? path : base + "/" + path)
    }

    static func expandHome(_ path: String, home: String?) -> String {
        guard let home, path == "~" || path.hasPrefix("~/") else { return path }
        return home + path.dropFirst()
    }

    static func directory(of path: String) -> String {
        let parts = clean(path).split(separator: "/")
        return parts.count <= 1 ? "/" : "/" + parts.dropLast().joined(separator: "/")
    }

    static func clean(_ path: String) -> String {
        var out: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." { if !out.isEmpty { out.removeLast() }; continue }
            out.append(part)
        }
        return "/" + out.joined(separator: "/")
    }
}
