import BerthOCI

/// Go's `time.Duration` spelling ("1m30s", "500ms", "1.5h"), which compose uses for
/// healthcheck intervals and stop_grace_period; kept in nanoseconds and printed as Go prints it.
public struct Duration: Sendable, Equatable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    /// Parses Go's syntax; nil when it is not a duration.
    public init?(parsing text: String) {
        guard let ns = try? GoDuration.parse(text) else { return nil }
        nanoseconds = ns
    }

    /// Go's `Duration.String()`.
    public var description: String { GoDuration.format(nanoseconds) }
}
