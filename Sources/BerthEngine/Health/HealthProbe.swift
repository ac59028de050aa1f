import BerthOCI

/// A container's health check resolved with Docker's defaults: what to run and when.
/// Durations are nanoseconds.
struct HealthProbe: Sendable, Equatable {
    /// Docker's `container.MinimumDuration`: shorter non-zero durations are refused.
    static let minimumDuration: Int64 = 1_000_000

    let command: [String]
    var interval: Int64 = 30_000_000_000
    var timeout: Int64 = 30_000_000_000
    var startPeriod: Int64 = 0
    var startInterval: Int64 = 5_000_000_000
    var retries = 3

    /// Nil when there is nothing to run: no check, `NONE`, or an empty test.
    init?(_ check: ContainerConfig.Healthcheck?) {
        guard let test = check?.test, let kind = test.first, test.count > 1 else { return nil }
        switch kind {
        case "CMD": command = Array(test.dropFirst())
        case "CMD-SHELL": command = ["/bin/sh", "-c"] + test.dropFirst()
        default: return nil
        }
        func positive(_ v: Int64?) -> Int64? { (v ?? 0) > 0 ? v : nil }
        if let v = positive(check?.interval) { interval = v }
        if let v = positive(check?.timeout) { timeout = v }
        if let v = positive(check?.startPeriod) { startPeriod = v }
        if let v = positive(check?.startInterval) { startInterval = v }
        if let r = check?.retries, r > 0 { retries = r }
    }

    /// The wait before the next probe: `start-interval` while starting within the start
    /// period, `interval` otherwise (Docker 28's monitor).
    func delay(elapsedSinceStart elapsed: Int64, status: ContainerHealth.Status) -> Int64 {
        elapsed < startPeriod && status == .starting ? startInterval : interval
    }

    /// Docker's create-time checks of a `Healthcheck` (`validateHealthCheck`), plus a known
    /// test type so a typo fails at create instead of never running.
    static func validate(_ check: ContainerConfig.Healthcheck?) throws(EngineError) {
        guard let check else { return }
        let durations: [(String, Int64?)] = [("Interval", check.interval), ("Timeout", check.timeout),
                                             ("StartPeriod", check.startPeriod), ("StartInterval", check.startInterval)]
        for (name, value) in durations {
            if let v = value, v != 0, v < minimumDuration {
                throw EngineError(.invalid, "\(name) in Healthcheck cannot be less than 1ms")
            }
        }
        if let r = check.retries, r < 0 { throw EngineError(.invalid, "Retries in Healthcheck cannot be negative") }
        guard let test = check.test, let kind = test.first else { return }
        switch kind {
        case "NONE":
            return
        case "CMD", "CMD-SHELL":
            guard test.count > 1, !test.dropFirst().allSatisfy(\.isEmpty) else {
                throw EngineError(.invalid, "Healthcheck test \(kind) needs a command, e.g. [\"\(kind)\", \"true\"]")
            }
        default:
            throw EngineError(.invalid, "unknown Healthcheck test type \"\(kind)\": use NONE, CMD or CMD-SHELL")
        }
    }
}

extension Engine {
    /// Docker's merge of the image's HEALTHCHECK under the create config's: a user check with
    /// no test or zero values takes the image's.
    static func mergeHealthcheck(image: ContainerConfig.Healthcheck?, user: ContainerConfig.Healthcheck?) -> ContainerConfig.Healthcheck? {
        guard let image else { return user }
        guard var merged = user else { return image }
        if (merged.test ?? []).isEmpty { merged.test = image.test }
        if (merged.interval ?? 0) == 0 { merged.interval = image.interval }
        if (merged.timeout ?? 0) == 0 { merged.timeout = image.timeout }
        if (merged.startPeriod ?? 0) == 0 { merged.startPeriod = image.startPeriod }
        if (merged.startInterval ?? 0) == 0 { merged.startInterval = image.startInterval }
        if (merged.retries ?? 0) == 0 { merged.retries = image.retries }
        return merged
    }
}
