import BerthOCI
import Foundation

/// The Dockerfile instructions `import --change` and `commit --change` accept, applied to a
/// container config.
public enum ImageChanges {
    static let allowed = ["CMD", "ENTRYPOINT", "ENV", "EXPOSE", "HEALTHCHECK", "LABEL", "ONBUILD", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"]

    public static func apply(_ changes: [String], to config: inout ContainerConfig) throws(EngineError) {
        for change in changes {
            let trimmed = change.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { continue }
            let parts = trimmed.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            let instruction = parts[0].uppercased()
            let args = parts.count > 1 ? String(parts[1]).trimmingCharacters(in: .whitespaces) : ""
            guard allowed.contains(instruction) else {
                throw EngineError(.invalid, "\(instruction) is not a valid change command; --change accepts \(allowed.joined(separator: ", "))")
            }
            guard !args.isEmpty else { throw EngineError(.invalid, "--change \"\(change)\": \(instruction) needs an argument") }
            switch instruction {
            case "CMD": config.cmd = try command(args)
            case "ENTRYPOINT": config.entrypoint = try command(args)
            case "ENV":
                var env = config.env ?? []
                for (k, v) in try keyValues(args, instruction: instruction) {
                    env.removeAll { $0.hasPrefix(k + "=") }
                    env.append("\(k)=\(v)")
                }
                config.env = env
            case "LABEL":
                var labels = config.labels ?? [:]
                for (k, v) in try keyValues(args, instruction: instruction) { labels[k] = v }
                config.labels = labels
            case "EXPOSE":
                var ports = config.exposedPorts ?? [:]
                for p in args.split(separator: " ") {
                    let port = p.contains("/") ? String(p).lowercased() : "\(p)/tcp"
                    let num = port.split(separator: "/")[0]
                    guard let n = Int(num), (1...65535).contains(n) else {
                        throw EngineError(.invalid, "--change EXPOSE: invalid port \"\(p)\" (expected 1-65535[/tcp|/udp])")
                    }
                    ports[port] = ContainerConfig.Empty()
                }
                config.exposedPorts = ports
            case "VOLUME":
                var vols = config.volumes ?? [:]
                let list = args.hasPrefix("[") ? try jsonArray(args) : args.split(separator: " ").map(String.init)
                for v in list { vols[v] = ContainerConfig.Empty() }
                config.volumes = vols
            case "USER": config.user = args
            case "WORKDIR": config.workingDir = args
            case "STOPSIGNAL": config.stopSignal = args
            case "ONBUILD": config.onBuild = (config.onBuild ?? []) + [args]
            case "HEALTHCHECK": config.healthcheck = try healthcheck(args)
            default: break
            }
        }
    }

    /// JSON form `["a","b"]` or shell form, which runs under `/bin/sh -c`.
    static func command(_ args: String) throws(EngineError) -> [String] {
        if args.hasPrefix("[") { return try jsonArray(args) }
        return ["/bin/sh", "-c", args]
    }

    static func jsonArray(_ s: String) throws(EngineError) -> [String] {
        guard let data = s.data(using: .utf8), let arr = try? JSONDecoder().decode([String].self, from: data) else {
            throw EngineError(.invalid, "--change: \(s) is not a JSON array of strings")
        }
        return arr
    }

    /// `k=v k2="v 2"`, or the legacy single pair `k v`.
    static func keyValues(_ s: String, instruction: String) throws(EngineError) -> [(String, String)] {
        if !s.contains("=") {
            let p = s.split(separator: " ", maxSplits: 1)
            guard p.count == 2 else { throw EngineError(.invalid, "--change \(instruction) \(s): expected key=value") }
            return [(String(p[0]), String(p[1]).trimmingCharacters(in: .whitespaces))]
        }
        var out: [(String, String)] = []
        var key = "", value = "", inKey = true, quote: Character?
        var escaped = false
        func flush() { if !key.isEmpty { out.append((key, value)) }; key = ""; value = ""; inKey = true }
        for ch in s {
            if escaped { if inKey { key.append(ch) } else { value.append(ch) }; escaped = false; continue }
            if ch == "\\" { escaped = true; continue }
            if let q = quote { if ch == q { quote = nil } else if inKey { key.append(ch) } else { value.append(ch) }; continue }
            if ch == "\"" || ch == "'" { quote = ch; continue }
            if ch == " " { flush(); continue }
            if ch == "=" && inKey { inKey = false; continue }
            if inKey { key.append(ch) } else { value.append(ch) }
        }
        if quote != nil { throw EngineError(.invalid, "--change \(instruction) \(s): unterminated quote") }
        flush()
        return out
    }
}
