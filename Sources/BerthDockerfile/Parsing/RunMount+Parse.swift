extension RunMount {
    /// One `--mount=` value in BuildKit's grammar: comma-separated `key=value` fields (CSV quoting),
    /// `type` defaulting to bind. `index` numbers ssh mounts' default targets.
    public init(parsing spec: String, index: Int = 0) throws(DockerfileError) {
        var fields: [(key: String, value: String?)] = []
        for field in Self.csvFields(spec) where !field.isEmpty {
            if let eq = field.firstIndex(of: "=") {
                fields.append((field[..<eq].lowercased(), String(field[field.index(after: eq)...])))
            } else {
                fields.append((field.lowercased(), nil))
            }
        }
        var kind = Kind.bind
        if let type = fields.last(where: { $0.key == "type" }) {
            guard let value = type.value, let parsed = Kind(rawValue: value.lowercased()) else {
                throw DockerfileError(message: "unsupported mount type \"\(type.value ?? "")\" in --mount=\(spec). Use bind, cache, tmpfs, secret or ssh")
            }
            kind = parsed
        }
        var target: String?
        var readOnly = kind == .bind || kind == .secret || kind == .ssh
        var source: String?, from: String?, id: String?, sharing: String?
        var options: [String: String] = [:]
        func bool(_ key: String, _ value: String?) throws(DockerfileError) -> Bool {
            switch value?.lowercased() {
            case nil, "true", "1": return true
            case "false", "0": return false
            default: throw DockerfileError(message: "invalid value for \(key): \"\(value ?? "")\" in --mount=\(spec). Use true or false")
            }
        }
        func value(_ key: String, _ value: String?) throws(DockerfileError) -> String {
            guard let value else { throw DockerfileError(message: "invalid field '\(key)' in --mount=\(spec): it must be a key=value pair") }
            return value
        }
        for (key, raw) in fields {
            switch key {
            case "type": continue
            case "target", "dst", "destination": target = try value(key, raw)
            case "source", "src": source = try value(key, raw)
            case "from": from = try value(key, raw)
            case "readonly", "ro": readOnly = try bool(key, raw)
            case "readwrite", "rw": readOnly = !(try bool(key, raw))
            case "id": id = try value(key, raw)
            case "sharing":
                let mode = try value(key, raw).lowercased()
                guard ["shared", "private", "locked"].contains(mode) else {
                    throw DockerfileError(message: "unsupported sharing value \"\(mode)\" in --mount=\(spec). Use shared, private or locked")
                }
                sharing = mode
            case "required":
                options[key] = try bool(key, raw) ? "true" : "false"
            case "mode", "uid", "gid", "size", "env":
                options[key] = try value(key, raw)
            default:
                throw DockerfileError(message: "unexpected key '\(key)' in --mount=\(spec)")
            }
        }
        switch kind {
        case .secret:
            if id == nil, let target { id = Self.baseName(target) }
            guard let secretID = id, !secretID.isEmpty else {
                throw DockerfileError(message: "--mount=\(spec): a secret mount needs an id or a target, e.g. --mount=type=secret,id=token")
            }
            if target == nil, options["env"] == nil { target = "/run/secrets/" + secretID }
        case .ssh:
            if id == nil { id = "default" }
            if target == nil { target = "/run/buildkit/ssh_agent.\(index)" }
        case .bind, .cache, .tmpfs:
            guard let target, !target.isEmpty else {
                throw DockerfileError(message: "--mount=\(spec): type=\(kind.rawValue) needs a target, e.g. target=/root/.cache")
            }
            if kind == .tmpfs, source != nil || from != nil {
                throw DockerfileError(message: "--mount=\(spec): a tmpfs mount takes no source or from")
            }
        }
        if kind == .cache, sharing == nil { sharing = "shared" }
        self.init(kind: kind, target: target ?? "", source: source, from: from, readOnly: readOnly,
                  id: id, sharing: sharing, options: options)
    }

    /// Comma-separated fields; a double-quoted part may hold commas, `""` inside it is one quote.
    static func csvFields(_ text: String) -> [String] {
        var fields: [String] = []
        var field = String.UnicodeScalarView()
        var inQuotes = false
        let scalars = Array(text.unicodeScalars)
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            if inQuotes {
                if c == "\"" {
                    if i + 1 < scalars.count, scalars[i + 1] == "\"" { field.append("\""); i += 1 } else { inQuotes = false }
                } else {
                    field.append(c)
                }
            } else if c == "\"" {
                inQuotes = true
            } else if c == "," {
                fields.append(String(field))
                field = String.UnicodeScalarView()
            } else {
                field.append(c)
            }
            i += 1
        }
        fields.append(String(field))
        return fields
    }

    static func baseName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
