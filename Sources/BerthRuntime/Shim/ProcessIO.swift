import CBerthSys
import Glibc

/// The shim's ends of one process's stdio: pipes, or a pty master that arrives from the child
/// once it has opened the pty inside the container.
final class ProcessIO {
    /// A readable output fd and the stream it carries (1 stdout, 2 stderr).
    struct Output {
        var fd: Int32
        var stream: UInt8
        var name: String { stream == 2 ? "stderr" : "stdout" }
    }

    let terminal: Bool
    private(set) var outputs: [Output] = []
    /// Where input goes: the stdin pipe's write end or the pty master; nil once closed.
    private(set) var stdin: Int32?
    private(set) var master: Int32?
    var pendingInput = ByteQueue()
    /// Close stdin once `pendingInput` has drained (the client half-closed).
    var closeInputWhenDrained = false
    /// The child's ends, passed to it and closed here after it started.
    private(set) var childEnds: [Int32]

    /// Pipes (or /dev/null) for a process; with a terminal all three are /dev/null until the pty arrives.
    init(terminal: Bool, openStdin: Bool) throws(RuntimeError) {
        self.terminal = terminal
        childEnds = []
        let null = Glibc.open("/dev/null", O_RDWR | O_CLOEXEC)
        guard null >= 0 else { throw .sys("open /dev/null") }
        if terminal {
            childEnds = [null, null, null]
            return
        }
        var childIn = null
        if openStdin {
            let pipe = try Descriptor.pipe()
            childIn = pipe.read
            stdin = pipe.write
            Descriptor.setNonBlocking(pipe.write)
        }
        let out = try Descriptor.pipe()
        let err = try Descriptor.pipe()
        for fd in [out.read, err.read] { Descriptor.setNonBlocking(fd) }
        outputs = [Output(fd: out.read, stream: 1), Output(fd: err.read, stream: 2)]
        childEnds = [childIn, out.write, err.write, null]
    }

    deinit { closeAll() }

    /// The three stdio fds the child starts with.
    var childStdio: [Int32] { Array(childEnds.prefix(3)) }

    func closeChildEnds() {
        for fd in Set(childEnds) { Descriptor.close(fd) }
        childEnds = []
    }

    /// The pty master received from the child: it is both the output and the input.
    func adoptMaster(_ fd: Int32) {
        Descriptor.setNonBlocking(fd)
        master = fd
        stdin = fd
        outputs = [Output(fd: fd, stream: 1)]
    }

    /// An output reached end of file (or EIO on a pty whose slave is gone).
    func closeOutput(_ fd: Int32) {
        outputs.removeAll { $0.fd == fd }
        if fd == master {
            master = nil
            stdin = nil
            pendingInput.removeAll()
        }
        Descriptor.close(fd)
    }

    /// Closes the process's stdin (the child then reads end of file). No-op for a terminal.
    func closeInput() {
        guard let fd = stdin, fd != master else { return }
        Descriptor.close(fd)
        stdin = nil
        pendingInput.removeAll()
    }

    /// Writes queued input; closes stdin when asked to once it has drained.
    func flushInput() {
        guard let fd = stdin else { return }
        if !pendingInput.flush(to: fd, send: UnixSocket.write) {
            pendingInput.removeAll()
            closeInput()
            return
        }
        if pendingInput.isEmpty && closeInputWhenDrained { closeInput() }
    }

    var outputsClosed: Bool { outputs.isEmpty }

    func closeAll() {
        closeChildEnds()
        for output in outputs where output.fd != master { Descriptor.close(output.fd) }
        outputs = []
        if let stdin, stdin != master { Descriptor.close(stdin) }
        if let master { Descriptor.close(master) }
        stdin = nil
        master = nil
    }
}
