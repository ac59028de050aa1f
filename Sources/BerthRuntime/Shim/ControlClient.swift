import Glibc

/// One connection on the control socket: a request line, then (for attach and exec) streams.
final class ControlClient {
    enum Role {
        /// Waiting for the request line.
        case request
        /// Attached to the container's streams.
        case attach(stdin: Bool, stdout: Bool, stderr: Bool)
        /// Carrying an exec's streams.
        case exec(ExecSession)
        /// Answered; closes once the answer is written.
        case answered
    }

    /// A client further behind than this is disconnected rather than stalling the container.
    static let maxBacklog = 8 << 20
    static let maxRequest = 1 << 20

    let fd: Int32
    var role: Role = .request
    var requestBuffer: [UInt8] = []
    private(set) var output = ByteQueue()
    /// The client half-closed (for stdin: end of file).
    var readClosed = false
    var closeWhenFlushed = false
    /// A terminal's output is sent as is, without multiplexing frames.
    var raw = false

    init(fd: Int32) {
        self.fd = fd
    }

    /// Queues a JSON reply line.
    func reply(_ reply: ShimReply) {
        if let line = try? JSONLine.encode(reply) { output.append(line + [0x0A]) }
    }

    /// Queues process output, framed unless raw. False when the client is hopelessly behind.
    func sendOutput(stream: UInt8, _ bytes: [UInt8]) -> Bool {
        if raw { output.append(bytes) } else { output.append(StreamFrame.encode(stream: stream, bytes)) }
        return output.count <= Self.maxBacklog
    }

    /// Writes what the socket takes; false when the peer is gone.
    func flush() -> Bool {
        output.flush(to: fd, send: UnixSocket.send)
    }

    var hasPendingOutput: Bool { !output.isEmpty }

    /// Best-effort final write before closing: up to `seconds` of blocking.
    func drainAndClose(seconds: Int = 1) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var flags = fcntl(fd, F_GETFL)
        flags &= ~O_NONBLOCK
        _ = fcntl(fd, F_SETFL, flags)
        _ = flush()
        Descriptor.close(fd)
    }

    /// Whether this client attached with stdin.
    var attachedStdin: Bool {
        if case .attach(let stdin, _, _) = role { return stdin }
        return false
    }
}

/// One exec: its process, its streams and the client carrying them.
final class ExecSession {
    let id: String
    let pid: pid_t
    let io: ProcessIO
    var client: ControlClient?
    var exitCode: Int32?
    var drainDeadline: Double?

    init(id: String, pid: pid_t, io: ProcessIO, client: ControlClient?) {
        self.id = id
        self.pid = pid
        self.io = io
        self.client = client
    }
}
