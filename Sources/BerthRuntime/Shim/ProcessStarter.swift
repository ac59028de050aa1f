import CBerthSys
import Glibc

/// Creates container processes from the (single-threaded) shim: the init by clone(2) straight
/// into new namespaces, execs by fork(2) into the init's namespaces. Both then follow the same
/// handshake: the child waits on a sync pipe until the parent is ready, and reports a failure
/// before execve on a CLOEXEC error pipe whose silent close means the exec happened.
enum ProcessStarter {
    /// Starts the container's init; returns its host pid once it has exec'd.
    static func startInit(_ spec: ContainerSpec, io: ProcessIO, cgroup: Cgroup?) throws(StartFailure) -> pid_t {
        let filter = try seccompFilter(spec, capabilities: spec.process.capabilities)
        let pipes: (error: (read: Int32, write: Int32), sync: (read: Int32, write: Int32))
        var console: (Int32, Int32)?
        var netns: Int32 = -1
        var staging: UserNamespaceStaging?
        do throws(RuntimeError) {
            try requireSingleThread()
            pipes = (try Descriptor.pipe(), try Descriptor.pipe())
            if io.terminal { console = try Descriptor.socketPair() }
            if spec.namespaces.network.hasPrefix("/") {
                netns = try Descriptor.openReadOnly(spec.namespaces.network)
            }
            if let userNamespace = spec.userNamespace {
                // From inside its user namespace the init may not join a network namespace the
                // host owns: the shim joins it and the init inherits it.
                if netns >= 0 {
                    guard berth_setns(netns, Namespace.net) == 0 else {
                        throw RuntimeError.sys("join network namespace \(spec.namespaces.network)")
                    }
                    Descriptor.close(netns)
                    netns = -1
                    ContainerInit.openLowPorts()
                }
                staging = try UserNamespaceStaging(spec, userNamespace: userNamespace)
                try staging?.enter()
            }
        } catch {
            throw StartFailure(error)
        }
        let pid = berth_clone(UInt(Namespace.cloneFlags(spec)))
        if pid == 0 {
            ContainerInit(spec: spec, seccomp: filter, paths: staging?.paths)
                .run(fds: io.childStdio + [pipes.error.write, pipes.sync.read, console?.1 ?? -1, netns])
        }
        let cloneErrno = errno
        staging?.leave()
        for fd in [pipes.error.write, pipes.sync.read, console?.1 ?? -1, netns] { Descriptor.close(fd) }
        io.closeChildEnds()
        guard pid > 0 else {
            for fd in [pipes.error.read, pipes.sync.write, console?.0 ?? -1] { Descriptor.close(fd) }
            throw StartFailure(.sys("clone the container process", errno: cloneErrno))
        }
        if let staging, berth_write_id_maps(pid, staging.uidMap, staging.gidMap) != 0 {
            let failure = StartFailure(.sys("write the user namespace's id maps"))
            kill(pid, SIGKILL)
            waitpid(pid, nil, 0)
            for fd in [pipes.error.read, pipes.sync.write, console?.0 ?? -1] { Descriptor.close(fd) }
            throw failure
        }
        return try handshake(pid: pid, sync: pipes.sync.write, error: pipes.error.read, console: console?.0, io: io, cgroup: cgroup)
    }

    /// Starts `process` inside the namespaces of the running init `containerPid`.
    static func startExec(containerPid: pid_t, process: ProcessSpec, io: ProcessIO, spec: ContainerSpec, cgroup: Cgroup?) throws(StartFailure) -> pid_t {
        let filter = try seccompFilter(spec, capabilities: process.capabilities)
        let pipes: (error: (read: Int32, write: Int32), sync: (read: Int32, write: Int32), pid: (read: Int32, write: Int32))
        var console: (Int32, Int32)?
        do {
            try requireSingleThread()
            pipes = (try Descriptor.pipe(), try Descriptor.pipe(), try Descriptor.pipe())
            if io.terminal { console = try Descriptor.socketPair() }
        } catch {
            throw StartFailure(error)
        }
        let intermediate = fork()
        if intermediate == 0 {
            ExecEntry(containerPid: containerPid, process: process, seccomp: filter)
                .run(fds: io.childStdio + [pipes.error.write, pipes.sync.read, console?.1 ?? -1, pipes.pid.write])
        }
        let forkErrno = errno
        for fd in [pipes.error.write, pipes.sync.read, console?.1 ?? -1, pipes.pid.write] { Descriptor.close(fd) }
        io.closeChildEnds()
        let reported = (try? Descriptor.readToEnd(pipes.pid.read, limit: 64)) ?? []
        Descriptor.close(pipes.pid.read)
        if intermediate > 0 { waitpid(intermediate, nil, 0) }
        guard intermediate > 0, let pid = pid_t(String(decoding: reported, as: UTF8.self)), pid > 0 else {
            let wire = (try? Descriptor.readToEnd(pipes.error.read)) ?? []
            for fd in [pipes.error.read, pipes.sync.write, console?.0 ?? -1] { Descriptor.close(fd) }
            throw StartFailure(wire: wire)
                ?? StartFailure(.sys("fork the exec process", errno: intermediate < 0 ? forkErrno : EIO))
        }
        return try handshake(pid: pid, sync: pipes.sync.write, error: pipes.error.read, console: console?.0, io: io, cgroup: cgroup)
    }

    /// The container's seccomp filter, built here in the single-threaded shim while host paths
    /// (a profile in the bundle) are still visible; loaded by the child just before exec.
    private static func seccompFilter(_ spec: ContainerSpec, capabilities: [String]) throws(StartFailure) -> SeccompFilter.Prepared? {
        guard !spec.privileged else { return nil }
        do { return try SeccompFilter.prepare(spec.seccomp, capabilities: capabilities) } catch {
            throw StartFailure(exitCode: 125, message: "seccomp profile: \(error)")
        }
    }

    private static func handshake(pid: pid_t, sync: Int32, error: Int32, console: Int32?,
                                  io: ProcessIO, cgroup: Cgroup?) throws(StartFailure) -> pid_t {
        // The child waits on the sync pipe: it joins its cgroup before it runs (or allocates)
        // anything, so limits and accounting cover all of it.
        var failure: StartFailure?
        do { try cgroup?.add(pid: pid) } catch {
            failure = StartFailure(exitCode: 125, message: "join the container's cgroup: \(error)")
        }
        if failure == nil {
            do { try resetOOMScore(pid) } catch { failure = StartFailure(error) }
        }
        if let failure {
            kill(pid, SIGKILL)
            waitpid(pid, nil, 0)
            Descriptor.close(sync)
            Descriptor.close(error)
            if let console { Descriptor.close(console) }
            throw failure
        }
        _ = try? Descriptor.writeAll(sync, [1])
        Descriptor.close(sync)
        if let console {
            let master = berth_recv_fd(console)
            if master >= 0 { io.adoptMaster(master) }
            Descriptor.close(console)
        }
        let wire = (try? Descriptor.readToEnd(error)) ?? []
        Descriptor.close(error)
        if let failure = StartFailure(wire: wire) {
            waitpid(pid, nil, 0)
            throw failure
        }
        return pid
    }

    /// berthd and the shims run with a negative oom_score_adj (-500, as dockerd) so the kernel
    /// picks a container over them; a container's processes get Docker's 0 instead of
    /// inheriting it.
    private static func resetOOMScore(_ pid: pid_t) throws(RuntimeError) {
        let fd = open("/proc/\(pid)/oom_score_adj", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .sys("open /proc/\(pid)/oom_score_adj") }
        defer { Descriptor.close(fd) }
        try Descriptor.writeAll(fd, "0")
    }

    /// fork/clone from a multi-threaded process leaves locks held forever in the child.
    private static func requireSingleThread() throws(RuntimeError) {
        let status = String(decoding: (try? Descriptor.readFile("/proc/self/status")) ?? [], as: UTF8.self)
        let line = status.split(separator: "\n").first { $0.hasPrefix("Threads:") }
        let count = line.flatMap { Int(String($0.dropFirst(8).filter { !$0.isWhitespace })) }
        guard count == 1 else {
            throw RuntimeError(.system, "berth-shim must be single-threaded to fork (threads: \(count.map(String.init) ?? "?"))")
        }
    }
}
