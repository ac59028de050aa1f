/// `--restart` as the docker CLI parses it (`opts.ParseRestartPolicy`): the name is checked by
/// the daemon, so `berth` and docker print the same message for a policy it does not know.
enum RestartPolicyFlag {
    /// `on-failure:3` → `{"Name":"on-failure","MaximumRetryCount":3}`.
    static func parse(_ s: String) throws -> [String: Any] {
        guard !s.isEmpty else { return [:] }
        let name = s.prefix { $0 != ":" }
        let count = s.dropFirst(name.count + 1)
        if name.isEmpty && s.hasPrefix(":") {
            throw CLIError("invalid restart policy format: no policy provided before colon")
        }
        var policy: [String: Any] = ["Name": String(name), "MaximumRetryCount": 0]
        if !count.isEmpty {
            guard let n = Int(count) else { throw CLIError("invalid restart policy format: maximum retry count must be an integer") }
            policy["MaximumRetryCount"] = n
        }
        return policy
    }

    /// Docker's `RestartPolicy.IsNone`: unset or `no`.
    static func isNone(_ s: String?) -> Bool {
        guard let s else { return true }
        let name = s.prefix { $0 != ":" }
        return name.isEmpty || name == "no"
    }
}
