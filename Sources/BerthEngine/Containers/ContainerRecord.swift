import BerthOCI
import BerthRuntime
import Foundation

/// A container as berthd keeps it: what was asked at create (Docker's shapes) and what the
/// image resolved to. Its run state lives in the bundle's state.json, written by the shim.
public struct ContainerRecord: Codable, Sendable {
    /// 64 hex digits.
    public var id: String
    /// Without Docker's leading slash.
    public var name: String
    public var created: Date
    /// The image as the user named it.
    public var image: String
    public var imageID: Digest
    public var config: DockerConfig
    public var hostConfig: DockerHostConfig
    /// Entrypoint + Cmd after applying the image's defaults: what runs.
    public var path: String
    public var args: [String]
    public var restartCount = 0
    /// The shim of the current or last run.
    public var shimPid: Int32 = 0
    /// Docker's HasBeenManuallyStopped: a user `stop` or `kill` since the last user `start`;
    /// `unless-stopped` then stays stopped, also across berthd restarts. Optional: records
    /// written before restart policies lack it.
    public var manuallyStopped: Bool?
    /// `pause` froze the container's cgroup (the shim's state.json still says running).
    public var paused: Bool?
    /// Binds, volumes and `--mount`s as resolved at create; nil in records made before
    /// volumes existed (their binds are resolved from `hostConfig` at start).
    public var mounts: [MountPoint]?
    /// Docker's `State.Health`: set once a container with a health check has started.
    public var health: ContainerHealth?

    public var shortID: String { String(id.prefix(12)) }
    public var tty: Bool { config.Tty ?? false }
}

/// Docker's `--stop-signal` and `kill -s` names.
public enum Signals {
    static let table: [String: Int32] = [
        "HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "IOT": 6, "BUS": 7, "FPE": 8, "KILL": 9, "USR1": 10,
        "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15, "STKFLT": 16, "CHLD": 17, "CONT": 18, "STOP": 19,
        "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23, "XCPU": 24, "XFSZ": 25, "VTALRM": 26, "PROF": 27, "WINCH": 28,
        "IO": 29, "POLL": 29, "PWR": 30, "SYS": 31,
    ]

    /// `TERM`, `SIGTERM`, `15`, `RTMIN+3` → the number.
    public static func parse(_ s: String) throws(EngineError) -> Int32 {
        if let n = Int32(s), (1...64).contains(n) { return n }
        var name = s.uppercased()
        if name.hasPrefix("SIG") { name = String(name.dropFirst(3)) }
        if let n = table[name] { return n }
        if name.hasPrefix("RTMIN+"), let k = Int32(name.dropFirst(6)), (0...30).contains(k) { return 34 + k }
        if name.hasPrefix("RTMAX-"), let k = Int32(name.dropFirst(6)), (0...30).contains(k) { return 64 - k }
        throw EngineError(.invalid, "invalid signal: \(s) (use a name like TERM, KILL, HUP or a number 1-64)")
    }
}
