import CBerthSys
import Glibc

extension Shim {
    /// What one pollfd stands for. Objects are captured so that a handler closing an fd (and a
    /// later one reusing its number) cannot make a stale entry act on the wrong thing.
    enum PollTarget {
        case listener
        case signals
        case output(ProcessIO, Int32, ExecSession?)
        case input(ProcessIO)
        case client(ControlClient)
    }

    /// The loop: runs until the init has exited, its output is drained and execs are recorded.
    func runLoop() {
        while !isDone() {
            var targets: [PollTarget] = []
            var fds: [pollfd] = []
            func watch(_ fd: Int32, _ events: Int32, _ target: PollTarget) {
                fds.append(pollfd(fd: fd, events: Int16(events), revents: 0))
                targets.append(target)
            }
            watch(signals, Int32(POLLIN), .signals)
            if let io = initIO { watchProcess(io, session: nil, watch) }
            for session in execs.values { watchProcess(session.io, session: session, watch) }
            for client in clients.values {
                var events: Int32 = 0
                if wantsInput(from: client) { events |= Int32(POLLIN) }
                if client.hasPendingOutput { events |= Int32(POLLOUT) }
                watch(client.fd, events, .client(client))
            }
            // Last, so new connections get their fds after this round's closes.
            if listener >= 0 { watch(listener, Int32(POLLIN), .listener) }

            let rc = poll(&fds, nfds_t(fds.count), pollTimeout())
            if rc < 0 && errno != EINTR {
                note("poll: \(errorString(errno))")
                return
            }
            guard rc > 0 else { continue }
            for (index, target) in targets.enumerated() where fds[index].revents != 0 {
                dispatch(target, revents: Int32(fds[index].revents))
            }
        }
    }

    private func watchProcess(_ io: ProcessIO, session: ExecSession?, _ watch: (Int32, Int32, PollTarget) -> Void) {
        for output in io.outputs { watch(output.fd, Int32(POLLIN), .output(io, output.fd, session)) }
        if let stdin = io.stdin, !io.pendingInput.isEmpty { watch(stdin, Int32(POLLOUT), .input(io)) }
    }

    private func dispatch(_ target: PollTarget, revents: Int32) {
        switch target {
        case .signals:
            handleSignals()
        case .listener:
            acceptClients()
        case .output(let io, let fd, let session):
            guard io.outputs.contains(where: { $0.fd == fd }) else { return }
            readOutput(io, fd: fd, session: session)
        case .input(let io):
            guard io.stdin != nil else { return }
            io.flushInput()
        case .client(let client):
            guard clients[client.fd] === client else { return }
            if revents & Int32(POLLIN) != 0 { readClient(client) }
            guard clients[client.fd] === client else { return }
            if revents & Int32(POLLOUT) != 0 || client.closeWhenFlushed { writeClient(client) }
            guard clients[client.fd] === client else { return }
            if revents & Int32(POLLHUP | POLLERR) != 0 && revents & Int32(POLLIN) == 0 { dropClient(client) }
        }
    }

    /// Milliseconds until the nearest drain deadline, or forever.
    private func pollTimeout() -> Int32 {
        let deadlines = ([drainDeadline] + execs.values.map(\.drainDeadline)).compactMap { $0 }
        guard let nearest = deadlines.min() else { return -1 }
        return Int32(max(0, min(60_000, (nearest - Timestamp.monotonic()) * 1000)) + 1)
    }

    /// Finished execs are recorded here; the loop ends once the init is gone and drained.
    private func isDone() -> Bool {
        if awaitingStart { return false }
        if initPid == 0 && initExitCode == nil { return true }
        let now = Timestamp.monotonic()
        for session in execs.values where session.exitCode != nil {
            if session.io.outputsClosed || now >= (session.drainDeadline ?? now) { finishExec(session) }
        }
        guard initExitCode != nil, let deadline = drainDeadline else { return false }
        let drained = (initIO?.outputsClosed ?? true) && execs.isEmpty
        return drained || now >= deadline
    }

    private func handleSignals() {
        var signo: UInt32 = 0
        while berth_signalfd_read(signals, &signo) == 0 && signo != 0 {
            switch Int32(signo) {
            case SIGCHLD:
                reapChildren()
            case SIGTERM, SIGINT, SIGQUIT:
                if initExitCode == nil && initPid > 0 { kill(initPid, Int32(signo)) }
            default:
                continue
            }
        }
    }

    /// Reaps every exited child (the shim is a subreaper, so orphans from execs land here too).
    func reapChildren() {
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            guard pid > 0 else { return }
            let code = Self.exitCode(fromWaitStatus: status)
            if pid == initPid && initExitCode == nil {
                initExitCode = code
                drainDeadline = Timestamp.monotonic() + Self.drainGrace
                initIO?.closeInput()
                note("init \(pid) exited with \(code)")
            } else if let session = execs.values.first(where: { $0.pid == pid }) {
                session.exitCode = code
                session.drainDeadline = Timestamp.monotonic() + Self.drainGrace
                session.io.closeInput()
            }
        }
    }

    /// Docker's convention: the exit status, or 128 + the signal that killed the process.
    static func exitCode(fromWaitStatus status: Int32) -> Int32 {
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }

    private func acceptClients() {
        while true {
            let fd = berth_accept4(listener, Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue))
            guard fd >= 0 else { return }
            clients[fd] = ControlClient(fd: fd)
        }
    }
}
