import BerthOCI
import Foundation

/// How long the registry client waits: for a connection, and for the next bytes of an answer
/// (a registry that accepts and never answers, or stops in the middle of a body).
///
/// dockerd dials with a 30 s timeout and has no read timeout (a stalled body hangs a pull
/// until the user gives up); containerd's CRI cancels a pull that made no progress for 5 min.
/// Berth keeps Docker's connect timeout and fails a silent connection after 2 min; each
/// request is tried up to `RepositorySession.attempts` times, so a dead registry fails a pull
/// in bounded time. berthd reads `BERTH_REGISTRY_CONNECT_TIMEOUT` and
/// `BERTH_REGISTRY_READ_TIMEOUT` (Go durations: `500ms`, `30s`, `2m`) to change them.
public struct RegistryTimeouts: Sendable, Hashable {
    public var connect: Duration
    public var read: Duration

    public init(connect: Duration = .seconds(30), read: Duration = .seconds(120)) {
        self.connect = connect
        self.read = read
    }

    /// The defaults, overridden by the environment's `BERTH_REGISTRY_CONNECT_TIMEOUT` and
    /// `BERTH_REGISTRY_READ_TIMEOUT`; a malformed or non-positive value is an error naming it.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws(RegistryError) -> RegistryTimeouts {
        var t = RegistryTimeouts()
        func parse(_ key: String) throws(RegistryError) -> Duration? {
            guard let text = env[key] else { return nil }
            guard let ns = try? GoDuration.parse(text), ns > 0 else {
                throw RegistryError(.invalid, "\(key)=\(text) is not a positive duration (write it like 30s, 500ms or 2m)")
            }
            return .nanoseconds(ns)
        }
        if let c = try parse("BERTH_REGISTRY_CONNECT_TIMEOUT") { t.connect = c }
        if let r = try parse("BERTH_REGISTRY_READ_TIMEOUT") { t.read = r }
        return t
    }

    static func nanoseconds(_ d: Duration) -> Int64 { d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000 }

    /// `2m0s`-style text for error messages.
    static func text(_ d: Duration) -> String { GoDuration.format(nanoseconds(d)) }
}
