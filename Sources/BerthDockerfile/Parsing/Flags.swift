/// An instruction's `--name[=value]` flags checked against what the instruction accepts (BuildKit's BFlags).
struct Flags {
    enum Kind { case string, bool, list }

    private(set) var strings: [String: String] = [:]
    private(set) var bools: [String: Bool] = [:]
    private(set) var lists: [String: [String]] = [:]

    /// - Parameters:
    ///   - accepted: the flags Berth honours for this instruction.
    ///   - unsupported: flags Docker accepts that Berth refuses, with what to do instead.
    init(_ words: [String], accepted: [String: Kind], unsupported: [String: String] = [:]) throws(DockerfileError) {
        for word in words {
            guard word.hasPrefix("--") else {
                throw DockerfileError(message: "flag '\(word)' should start with --")
            }
            let body = word.dropFirst(2)
            let name: String
            let value: String?
            if let eq = body.firstIndex(of: "=") {
                name = String(body[..<eq])
                value = String(body[body.index(after: eq)...])
            } else {
                name = String(body)
                value = nil
            }
            if let advice = unsupported[name] {
                throw DockerfileError(message: "--\(name) is not supported by Berth. \(advice)")
            }
            guard let kind = accepted[name] else {
                let known = accepted.keys.sorted().map { "--\($0)" }.joined(separator: ", ")
                throw DockerfileError(message: "unknown flag: --\(name). " + (known.isEmpty ? "This instruction takes no flags" : "Accepted flags: \(known)"))
            }
            switch kind {
            case .string:
                guard let value else { throw DockerfileError(message: "missing a value on flag: --\(name). Write --\(name)=<value>") }
                guard strings[name] == nil else { throw DockerfileError(message: "duplicate flag specified: --\(name)") }
                strings[name] = value
            case .list:
                guard let value else { throw DockerfileError(message: "missing a value on flag: --\(name). Write --\(name)=<value>") }
                lists[name, default: []].append(value)
            case .bool:
                guard bools[name] == nil else { throw DockerfileError(message: "duplicate flag specified: --\(name)") }
                switch value?.lowercased() {
                case nil, "true": bools[name] = true
                case "false": bools[name] = false
                default: throw DockerfileError(message: "expecting boolean value for flag --\(name), not: \(value ?? "")")
                }
            }
        }
    }
}
