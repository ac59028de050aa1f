import CBerthSys
import Glibc

/// The forked side of `exec`: joins the container's namespaces, forks once more so the process
/// is inside its pid namespace, and runs the same launch steps as the init.
///
/// The intermediate process is non-dumpable and the final one runs only shim code until
/// execve, so a container process cannot ptrace either or open their /proc/<pid>/exe while they
/// still hold shim state; the shim binary they map is itself a sealed memfd copy (see
/// `SealedExecutable`).
struct ExecEntry {
    let containerPid: pid_t
    let process: ProcessSpec
    let seccomp: SeccompFilter.Prepared?
    static let errorSlot: Int32 = 3, syncSlot: Int32 = 4, consoleSlot: Int32 = 5, pidSlot: Int32 = 6

    /// Namespaces joined, in runc's order; mnt last because it changes what paths mean.
    static let namespaces: [(name: String, flag: Int32)] = [
        ("ipc", Namespace.ipc), ("uts", Namespace.uts), ("net", Namespace.net),
        ("cgroup", Namespace.cgroup), ("pid", Namespace.pid), ("mnt", Namespace.mount),
    ]

    /// `fds`: stdin, stdout, stderr, error pipe, sync pipe, console socket (or -1), pid pipe.
    func run(fds: [Int32]) -> Never {
        berth_reset_signals()
        _ = berth_set_dumpable(0)
        let slots = ChildDescriptors.arrange(fds)
        for slot in Self.errorSlot...Self.pidSlot where slots[Int(slot)] >= 0 { _ = berth_set_cloexec(slot, 1) }
        do {
            try joinNamespaces()
        } catch {
            ChildDescriptors.fail(StartFailure(error), errorPipe: Self.errorSlot)
        }
        let child = fork()
        if child < 0 {
            ChildDescriptors.fail(StartFailure(.sys("fork into the container")), errorPipe: Self.errorSlot)
        }
        if child > 0 {
            // The intermediate: hand the pid to the shim (which, as subreaper, adopts it) and go.
            try? Descriptor.writeAll(Self.pidSlot, "\(child)")
            _exit(0)
        }
        Descriptor.close(Self.pidSlot)
        ChildDescriptors.awaitGoAhead(Self.syncSlot)
        do {
            try prepareSession(console: slots[Int(Self.consoleSlot)])
            try ProcessLaunch(process: process, seccomp: seccomp).exec()
        } catch let failure as StartFailure {
            ChildDescriptors.fail(failure, errorPipe: Self.errorSlot)
        } catch let error as RuntimeError {
            ChildDescriptors.fail(StartFailure(error), errorPipe: Self.errorSlot)
        } catch {
            ChildDescriptors.fail(StartFailure(exitCode: 125, message: "\(error)"), errorPipe: Self.errorSlot)
        }
    }

    private func joinNamespaces() throws(RuntimeError) {
        // Open them all first: after joining the mount namespace /proc is the container's.
        var opened: [(fd: Int32, name: String, flag: Int32)] = []
        defer { for entry in opened { Descriptor.close(entry.fd) } }
        for ns in Self.namespaces {
            let fd = Glibc.open("/proc/\(containerPid)/ns/\(ns.name)", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw .sys("open the container's \(ns.name) namespace") }
            opened.append((fd, ns.name, ns.flag))
        }
        // The user namespace last: until then we are the host's root, which may join the others.
        let user = Glibc.open("/proc/\(containerPid)/ns/user", O_RDONLY | O_CLOEXEC)
        guard user >= 0 else { throw .sys("open the container's user namespace") }
        defer { Descriptor.close(user) }
        var mine = stat(), theirs = stat()
        // Before joining the mount namespace, while /proc is still ours.
        guard fstat(user, &theirs) == 0, stat("/proc/self/ns/user", &mine) == 0 else { throw .sys("stat user namespaces") }
        for ns in opened {
            guard berth_setns(ns.fd, ns.flag) == 0 else { throw .sys("join the container's \(ns.name) namespace") }
        }
        if mine.st_ino != theirs.st_ino || mine.st_dev != theirs.st_dev {
            guard berth_setns(user, Namespace.user) == 0 else { throw .sys("join the container's user namespace") }
        }
    }

    private func prepareSession(console: Int32) throws(RuntimeError) {
        umask(0)
        guard setsid() >= 0 else { throw .sys("setsid") }
        guard process.terminal else { return }
        // A pty from the container's own devpts instance; no symlink of the container is followed.
        let root = try RootDirectory.open(host: "/")
        defer { root.close() }
        let pts = try root.open("/dev/pts", flags: O_RDONLY | O_DIRECTORY, noSymlinks: true)
        defer { Descriptor.close(pts) }
        var master: Int32 = -1, slave: Int32 = -1
        guard berth_open_pty(pts, "ptmx", &master, &slave) == 0 else { throw .sys("open a pty in the container") }
        if let size = process.consoleSize, size.count == 2 { _ = berth_set_winsize(master, size[0], size[1]) }
        guard berth_send_fd(console, master) == 0 else { throw .sys("send the pty to the shim") }
        Descriptor.close(master)
        Descriptor.close(console)
        try ChildDescriptors.adoptTerminal(slave)
    }
}
