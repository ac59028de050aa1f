import Glibc

/// A blocking client connection to a shim's control socket: one request, one reply line, then
/// (for attach and exec) the streams. For berthd's worker threads and tests; never use it on
/// an event loop thread.
public final class ShimConnection {
    /// The connected socket, for callers that pump the streams themselves.
    public let fileDescriptor: Int32
    /// Bytes read past the reply line: the beginning of the stream.
    private var buffered: [UInt8] = []
    private var closed = false

    public init(socketPath: String) throws(RuntimeError) {
        fileDescriptor = try UnixSocket.connect(to: socketPath)
    }

    deinit { close() }

    /// Sends a one-shot request (state, signal, resize, resizeExec) and returns the reply.
    public static func request(_ request: ShimRequest, socketPath: String) throws(RuntimeError) -> ShimReply {
        let connection = try ShimConnection(socketPath: socketPath)
        return try connection.send(request)
    }

    /// Bounds every later read and write (0: wait forever).
    public func setTimeout(seconds: Int) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        let size = socklen_t(MemoryLayout<timeval>.size)
        setsockopt(fileDescriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, size)
        setsockopt(fileDescriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, size)
    }

    /// Writes the request line and reads the reply line.
    public func send(_ request: ShimRequest) throws(RuntimeError) -> ShimReply {
        try write(try JSONLine.encode(request) + [0x0A])
        var line: [UInt8] = []
        while true {
            if let newline = buffered.firstIndex(of: 0x0A) {
                line += buffered[..<newline]
                buffered.removeSubrange(...newline)
                break
            }
            line += buffered
            buffered = []
            guard let chunk = try Descriptor.read(fileDescriptor, max: 4096) else {
                throw RuntimeError(.system, "timed out waiting for the shim's reply")
            }
            guard !chunk.isEmpty else { throw RuntimeError(.system, "the shim closed the connection without a reply") }
            buffered = chunk
        }
        return try JSONLine.decode(ShimReply.self, from: line)
    }

    /// Sends stdin bytes.
    public func write(_ bytes: [UInt8]) throws(RuntimeError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { UnixSocket.send(fileDescriptor, $0) }
            guard n > 0 else { throw RuntimeError.sys("write to the shim", errno: n == 0 ? ETIMEDOUT : errno) }
            offset += n
        }
    }

    /// Half-closes: the process sees end of file on stdin.
    public func closeWrite() {
        shutdown(fileDescriptor, Int32(SHUT_WR))
    }

    /// The next bytes of the stream, `[]` at its end.
    public func read(max: Int = 64 * 1024) throws(RuntimeError) -> [UInt8] {
        if !buffered.isEmpty {
            defer { buffered = [] }
            return buffered
        }
        guard let chunk = try Descriptor.read(fileDescriptor, max: max) else {
            throw RuntimeError(.system, "timed out reading from the shim")
        }
        return chunk
    }

    /// Everything until the shim closes the connection.
    public func readToEnd() throws(RuntimeError) -> [UInt8] {
        var out: [UInt8] = []
        while true {
            let chunk = try read()
            if chunk.isEmpty { return out }
            out += chunk
        }
    }

    public func close() {
        guard !closed else { return }
        closed = true
        Descriptor.close(fileDescriptor)
    }
}
