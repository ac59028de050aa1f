import CBerthSys
import Glibc

/// berth-shim's runtime: one per container. It starts the container's init, then serves one
/// single-threaded poll(2) loop — output to the json log and attached clients, control requests,
/// execs, reaping — until the init has exited and its output is drained.
///
/// The shim never starts a thread: it forks (clone for the init, fork for execs), and a
/// process that forks must be single-threaded. Everything here runs on the main thread.
public final class Shim {
    let bundle: ShimBundle
    let socketPath: String
    let spec: ContainerSpec
    var state: ContainerState
    var initPid: pid_t = 0
    var initIO: ProcessIO?
    var log: JSONLogWriter?
    var listener: Int32 = -1
    var signals: Int32 = -1
    var clients: [Int32: ControlClient] = [:]
    var execs: [String: ExecSession] = [:]
    /// Set when the init has exited: its exit code, and when to stop waiting for output.
    var initExitCode: Int32?
    var drainDeadline: Double?
    /// `--wait-for-start`: the loop serves only control clients until a `start` request.
    var awaitingStart = false
    /// The container's cgroup: limits, accounting, and removed when the container exits.
    var cgroup: Cgroup?

    /// How long output may keep flowing after a process exited (descendants holding the pipe).
    static let drainGrace = 2.0

    init(bundle: ShimBundle, socketPath: String, spec: ContainerSpec) {
        self.bundle = bundle
        self.socketPath = socketPath
        self.spec = spec
        self.state = ContainerState(status: .created, pid: 0, shimPid: getpid())
    }

    /// Runs the shim for the bundle at `bundle`, serving `socket`; returns the process exit code.
    /// Writes one `ShimStartReport` line to stdout and closes it once the container started or failed.
    public static func main(bundle directory: String, socket: String, waitForStart: Bool = false) -> Int32 {
        // Nothing berthd leaked to us may reach a container; hold no directory busy.
        _ = berth_close_range(3, UInt32.max, 0)
        _ = chdir("/")
        signal(SIGPIPE, SIG_IGN)
        var bundle = ShimBundle(directory: directory)
        let spec: ContainerSpec
        do {
            spec = try bundle.loadSpec()
        } catch {
            report(ShimStartReport(pid: nil, exitCode: 125, error: "read \(bundle.specPath): \(error.message)"))
            return 1
        }
        bundle.diskReserve = spec.diskReserve
        let shim = Shim(bundle: bundle, socketPath: socket, spec: spec)
        shim.awaitingStart = waitForStart
        return shim.run()
    }

    private func run() -> Int32 {
        do {
            try prepare()
        } catch {
            fail(StartFailure(error))
            return 1
        }
        if awaitingStart {
            // No process yet: the loop only serves control clients until `start` clears the flag.
            runLoop()
            guard !awaitingStart else { return 1 }
        }
        do {
            let io = try ProcessIO(terminal: spec.process.terminal, openStdin: spec.process.openStdin)
            initIO = io
            initPid = try ProcessStarter.startInit(spec, io: io, cgroup: cgroup)
        } catch let failure as StartFailure {
            fail(failure)
            return 0
        } catch {
            fail(StartFailure(exitCode: 125, message: "\(error)"))
            return 0
        }
        state.status = .running
        state.pid = initPid
        state.startedAt = Timestamp.now().rfc3339Nano
        saveState()
        Self.report(ShimStartReport(pid: initPid, exitCode: nil, error: nil))
        note("container \(spec.id) started, pid \(initPid)")
        // Setup's garbage (spec, seccomp rules, mounts) is freed but stays in malloc's arena;
        // a shim idles for the container's life, so hand those pages back (bench: memory).
        malloc_trim(0)
        runLoop()
        finish()
        return 0
    }

    /// Signals, subreaper, the control socket and the log, before any child exists.
    private func prepare() throws(RuntimeError) {
        guard berth_set_child_subreaper() == 0 else { throw .sys("prctl(PR_SET_CHILD_SUBREAPER)") }
        // Nothing in a container may ptrace the shim or open its /proc files.
        _ = berth_set_dumpable(0)
        var mask = sigset_t()
        sigemptyset(&mask)
        for sig in [SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT] { sigaddset(&mask, sig) }
        guard sigprocmask(SIG_BLOCK, &mask, nil) == 0 else { throw .sys("sigprocmask") }
        signals = berth_signalfd(&mask)
        guard signals >= 0 else { throw .sys("signalfd") }
        mkdir(bundle.execsDirectory, 0o700)
        listener = try UnixSocket.listen(at: socketPath)
        log = try JSONLogWriter(spec.log)
        if let limits = spec.cgroup {
            do {
                cgroup = try Cgroup.create(limits)
                if !spec.privileged { try cgroup?.restrictDevices() }
            } catch {
                throw RuntimeError(.invalidArgument, "\(error)")
            }
        }
    }

    /// The container could not start: report, record, clean up.
    private func fail(_ failure: StartFailure) {
        note("start failed: \(failure.message)")
        state.status = .exited
        state.exitCode = failure.exitCode
        state.error = failure.message
        state.finishedAt = Timestamp.now().rfc3339Nano
        saveState()
        Self.report(ShimStartReport(pid: nil, exitCode: failure.exitCode, error: failure.message))
        initIO?.closeAll()
        closeListener()
        try? cgroup?.destroy()
    }

    /// The init exited and its output drained: record it, close everything, remove the socket.
    private func finish() {
        reapChildren()
        log?.flushPartialLines()
        state.status = .exited
        state.pid = 0
        state.exitCode = initExitCode
        if let cg = cgroup {
            state.oomKilled = cg.oomKillCount() > 0
            do { try cg.destroy() } catch { note("remove cgroup: \(error)") }
        }
        state.finishedAt = Timestamp.now().rfc3339Nano
        saveState()
        note("container \(spec.id) exited with \(initExitCode ?? -1)")
        for session in execs.values { finishExec(session) }
        for client in clients.values { client.drainAndClose() }
        clients = [:]
        initIO?.closeAll()
        closeListener()
    }

    private func closeListener() {
        if listener >= 0 {
            Descriptor.close(listener)
            listener = -1
        }
        unlink(socketPath)
    }

    func saveState() {
        do { try bundle.writeState(state) } catch { note("write state: \(error.message)") }
    }

    /// The start report on stdout (berthd's pipe), then stdout is closed (pointed at /dev/null).
    static func report(_ report: ShimStartReport) {
        if let line = try? JSONLine.encode(report) { try? Descriptor.writeAll(1, line + [0x0A]) }
        let null = Glibc.open("/dev/null", O_WRONLY | O_CLOEXEC)
        if null >= 0 {
            dup2(null, 1)
            Descriptor.close(null)
        }
    }

    /// A diagnostic line on stderr (`<bundle>/shim.log`).
    func note(_ message: String) {
        try? Descriptor.writeAll(2, "\(Timestamp.now().rfc3339Nano) \(message)\n")
    }
}
