import Foundation

/// A container's health as Docker reports it in `State.Health`: the status, the current run of
/// failures and the last five probe results. Kept in the container record.
public struct ContainerHealth: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable, CaseIterable { case starting, healthy, unhealthy }

    /// One probe run, as in `State.Health.Log`.
    public struct Result: Codable, Sendable, Equatable {
        public var start: Date
        public var end: Date
        /// 0 healthy, anything else a failure; -1 when the probe timed out or could not run.
        public var exitCode: Int
        /// stdout and stderr together, cut at 4096 bytes with `...` appended.
        public var output: String

        enum CodingKeys: String, CodingKey { case start = "Start", end = "End", exitCode = "ExitCode", output = "Output" }
    }

    public var status: Status = .starting
    public var failingStreak = 0
    public var log: [Result] = []
    /// The monitor currently allowed to record results; in memory only, so a probe still
    /// running when its monitor stopped cannot change the state afterwards.
    var monitor: UInt64?

    /// Docker keeps this many results.
    static let maxLogEntries = 5

    enum CodingKeys: String, CodingKey { case status = "Status", failingStreak = "FailingStreak", log = "Log" }

    public init() {}

    /// Docker's `handleProbeResult`: a pass makes it healthy; a failure counts toward
    /// `retries` (unhealthy once reached) except while still starting within the start period.
    /// Returns whether the status changed.
    @discardableResult
    mutating func record(_ result: Result, retries: Int, withinStartPeriod: Bool) -> Bool {
        let old = status
        log.append(result)
        if log.count > Self.maxLogEntries { log.removeFirst(log.count - Self.maxLogEntries) }
        if result.exitCode == 0 {
            failingStreak = 0
            status = .healthy
        } else if !(status == .starting && withinStartPeriod) {
            failingStreak += 1
            if failingStreak >= retries { status = .unhealthy }
        }
        return status != old
    }
}
