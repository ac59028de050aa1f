import ArgumentParser
import BerthOCI

/// `run`/`create`'s `--health-*` flags and `--no-healthcheck`, turned into the create body's
/// `Healthcheck` with the docker CLI's rules.
struct HealthOptions: ParsableArguments {
    @Option(help: "Command to run to check health") var healthCmd: String?
    @Option(help: "Time between running the check (ms|s|m|h) (default 0s)") var healthInterval: String?
    @Option(help: "Maximum time to allow one check to run (ms|s|m|h) (default 0s)") var healthTimeout: String?
    @Option(help: "Consecutive failures needed to report unhealthy") var healthRetries: Int?
    @Option(help: "Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)") var healthStartPeriod: String?
    @Option(help: "Time between running the check during the start period (ms|s|m|h) (default 0s)") var healthStartInterval: String?
    @Flag(help: "Disable any container-specified HEALTHCHECK") var noHealthcheck = false

    /// The `Healthcheck` object, or nil to keep the image's.
    func healthcheck() throws -> [String: Any]? {
        let durations: [(String, String?)] = [("Interval", healthInterval), ("Timeout", healthTimeout),
                                              ("StartPeriod", healthStartPeriod), ("StartInterval", healthStartInterval)]
        var values: [String: Int64] = [:]
        for (key, text) in durations {
            guard let text else { continue }
            let flag = "--health-" + key.replacingOccurrences(of: "Start", with: "start-").lowercased()
            let ns: Int64
            do { ns = try GoDuration.parse(text) } catch {
                throw CLIError("invalid argument \"\(text)\" for \"\(flag)\" flag: \(error.message)", exitCode: 125)
            }
            guard ns >= 0 else { throw CLIError("\(flag) cannot be negative", exitCode: 125) }
            values[key] = ns
        }
        let retries = healthRetries ?? 0
        let configured = healthCmd != nil || values.values.contains { $0 != 0 } || retries != 0
        if noHealthcheck {
            guard !configured else { throw CLIError("--no-healthcheck conflicts with --health-* options", exitCode: 125) }
            return ["Test": ["NONE"]]
        }
        guard configured else { return nil }
        guard retries >= 0 else { throw CLIError("--health-retries cannot be negative", exitCode: 125) }
        var check: [String: Any] = values.mapValues { $0 as Any }
        check["Retries"] = retries
        if let healthCmd, !healthCmd.isEmpty { check["Test"] = ["CMD-SHELL", healthCmd] }
        return check
    }
}
