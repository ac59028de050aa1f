/// What berth-shim reports about its container, in `<bundle>/state.json` (replaced
/// atomically at every change). berthd reads it to answer inspect/ps and after a restart.
public struct ContainerState: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable { case created, running, paused, exited }

    public var status: Status
    /// Host pid of the container's init (0 when not running).
    public var pid: Int32
    /// Host pid of the shim.
    public var shimPid: Int32
    /// RFC 3339 with nanoseconds, UTC (`2026-11-24T02:04:29.447123456Z`).
    public var startedAt: String?
    public var finishedAt: String?
    public var exitCode: Int32?
    public var oomKilled = false
    /// Why the process could not start, in Docker's words
    /// (`exec: "nope": executable file not found in $PATH`).
    public var error: String?

    public init(status: Status, pid: Int32, shimPid: Int32) {
        self.status = status
        self.pid = pid
        self.shimPid = shimPid
    }
}

/// The single line berth-shim writes to its stdout (a pipe from berthd) once the container
/// process has exec'd or failed to, then closes it: how `start` learns the outcome synchronously.
public struct ShimStartReport: Codable, Sendable, Equatable {
    /// Host pid of the container process, when it started.
    public var pid: Int32?
    /// Docker's exit code for a start failure: 127 not found, 126 cannot invoke, 125 other.
    public var exitCode: Int32?
    public var error: String?

    public init(pid: Int32?, exitCode: Int32?, error: String?) {
        self.pid = pid
        self.exitCode = exitCode
        self.error = error
    }
}

/// The record of one exec, in `<bundle>/execs/<id>.json`, written before its stream closes.
public struct ExecState: Codable, Sendable, Equatable {
    public var pid: Int32
    public var running: Bool
    public var exitCode: Int32?
    public init(pid: Int32, running: Bool, exitCode: Int32?) {
        self.pid = pid
        self.running = running
        self.exitCode = exitCode
    }
}
