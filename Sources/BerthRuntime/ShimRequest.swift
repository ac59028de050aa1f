/// A request on the shim's control socket (`<exec root>/shims/<id>/shim.sock`).
/// One request per connection: the client writes the request as one JSON line; the shim
/// answers one JSON line (`ShimReply`); for `attach` and `exec` the connection then carries
/// the streams: client → shim is the container's stdin (half-close = stdin EOF); shim → client
/// is raw pty output for terminals, otherwise Docker's multiplexed frames
/// (`[1|2, 0, 0, 0, size32be] payload`). The shim closes the connection when the process has
/// exited and its output is drained (for exec: after writing `execs/<id>.json`).
public enum ShimRequest: Codable, Sendable, Equatable {
    case attach(stdin: Bool, stdout: Bool, stderr: Bool)
    case resize(height: UInt16, width: UInt16)
    case signal(Int32)
    /// Run another process in the container's namespaces, cgroup and security settings.
    case exec(id: String, process: ProcessSpec)
    case resizeExec(id: String, height: UInt16, width: UInt16)
    /// Signals a running exec's process (a health probe past its timeout).
    case signalExec(id: String, signal: Int32)
    case state
    /// With `--wait-for-start`, the shim prepares everything, serves `attach` and `state`, and
    /// starts the container only on this request: clients attached before it see every byte.
    case start
}

/// The shim's one-line answer to a request.
public struct ShimReply: Codable, Sendable, Equatable {
    public var ok: Bool
    public var error: String?
    /// `exec`: pid of the exec'd process. `state`: the container state.
    public var pid: Int32?
    public var state: ContainerState?
    public init(ok: Bool, error: String? = nil, pid: Int32? = nil, state: ContainerState? = nil) {
        self.ok = ok
        self.error = error
        self.pid = pid
        self.state = state
    }
}
