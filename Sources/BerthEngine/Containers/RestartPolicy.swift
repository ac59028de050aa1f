/// Docker's restart policies (`--restart no|on-failure[:N]|always|unless-stopped`): the rules
/// that accept one at create and update, and the decision taken when a container exits.
extension DockerHostConfig.RestartPolicy {
    /// The policy's name; "" (what clients before Docker 25 send) means `no`.
    public var mode: String { Name ?? "" }

    /// `no` (or unset): never restarted.
    public var isNone: Bool { mode.isEmpty || mode == "no" }

    public init(_ name: String, maximumRetryCount: Int = 0) {
        Name = name
        MaximumRetryCount = maximumRetryCount
    }

    /// Docker's `ValidateRestartPolicy`, with its messages.
    public func validate() throws(EngineError) {
        let count = MaximumRetryCount ?? 0
        switch mode {
        case "always", "unless-stopped", "no":
            guard count == 0 else {
                var message = "invalid restart policy: maximum retry count can only be used with 'on-failure'"
                if count < 0 { message += " and cannot be negative" }
                throw EngineError(.invalid, message)
            }
        case "on-failure":
            guard count >= 0 else { throw EngineError(.invalid, "invalid restart policy: maximum retry count cannot be negative") }
        case "":
            // Clients before Docker 25 send an empty name, with any count.
            break
        case let other:
            throw EngineError(.invalid, "invalid restart policy: unknown policy '\(other)'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'")
        }
    }

    /// Docker's restart manager: whether a container that exited with `exitCode` runs again.
    /// `restartCount` is how many automatic restarts happened since the last user `start`;
    /// `manuallyStopped` is set by a user `stop` or `kill`.
    public func shouldRestart(exitCode: Int32, restartCount: Int, manuallyStopped: Bool) -> Bool {
        switch mode {
        case "always": return true
        case "unless-stopped": return !manuallyStopped
        case "on-failure":
            // 0 means no limit.
            let limit = MaximumRetryCount ?? 0
            return exitCode != 0 && (limit == 0 || restartCount < limit)
        default: return false
        }
    }
}
