import BerthOCI

extension ImageChanges {
    /// `HEALTHCHECK NONE` or `HEALTHCHECK [--interval=D] [--timeout=D] [--start-period=D]
    /// [--start-interval=D] [--retries=N] CMD command`, with the Dockerfile's rules.
    static func healthcheck(_ args: String) throws(EngineError) -> ContainerConfig.Healthcheck {
        var rest = Substring(args)
        var flags: [String: String] = [:]
        while rest.hasPrefix("--") {
            let word = rest.prefix { $0 != " " }
            rest = rest.dropFirst(word.count).drop { $0 == " " }
            let pair = word.dropFirst(2).split(separator: "=", maxSplits: 1).map(String.init)
            let known = ["interval", "timeout", "start-period", "start-interval", "retries"]
            guard pair.count == 2, known.contains(pair[0]) else {
                throw EngineError(.invalid, "HEALTHCHECK: unknown flag \(word) (use --interval=, --timeout=, --start-period=, --start-interval= or --retries=)")
            }
            flags[pair[0]] = pair[1]
        }
        let type = rest.prefix { $0 != " " }.uppercased()
        let command = String(rest.dropFirst(type.count)).trimmingCharacters(in: .whitespaces)
        if type == "NONE" {
            guard command.isEmpty, flags.isEmpty else { throw EngineError(.invalid, "HEALTHCHECK NONE takes no arguments") }
            return ContainerConfig.Healthcheck(test: ["NONE"])
        }
        guard type == "CMD" else { throw EngineError(.invalid, "Unknown type \"\(type)\" in HEALTHCHECK (try CMD)") }
        guard !command.isEmpty else { throw EngineError(.invalid, "Missing command after HEALTHCHECK CMD") }
        var check = ContainerConfig.Healthcheck(test: command.hasPrefix("[") ? ["CMD"] + (try jsonArray(command)) : ["CMD-SHELL", command])
        check.interval = try duration(flags["interval"], "interval")
        check.timeout = try duration(flags["timeout"], "timeout")
        check.startPeriod = try duration(flags["start-period"], "start-period")
        check.startInterval = try duration(flags["start-interval"], "start-interval")
        if let r = flags["retries"] {
            guard let n = Int(r), n >= 0 else { throw EngineError(.invalid, "HEALTHCHECK --retries=\(r): a number ≥ 0") }
            check.retries = n
        }
        return check
    }

    /// A flag's Go duration; unset is 0 (Docker's default), otherwise at least 1ms.
    private static func duration(_ text: String?, _ flag: String) throws(EngineError) -> Int64? {
        guard let text else { return nil }
        let ns: Int64
        do { ns = try GoDuration.parse(text) } catch { throw EngineError(.invalid, "HEALTHCHECK --\(flag)=\(text): \(error.message)") }
        guard ns == 0 || ns >= HealthProbe.minimumDuration else {
            throw EngineError(.invalid, "HEALTHCHECK --\(flag)=\(text): cannot be less than 1ms")
        }
        return ns
    }
}
