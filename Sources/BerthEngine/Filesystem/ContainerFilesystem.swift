import BerthRuntime
import CBerthSys
import Foundation
import Glibc

/// A container's files as its processes see them — root filesystem, volumes, binds, the /etc
/// files — opened for `docker cp`: `root` is an O_PATH fd of the container's `/`, to be used
/// only through `ContainerPath` (RESOLVE_IN_ROOT), never by path.
///
/// A running container is reached through `/proc/<init>/root`. A stopped one is mounted by a
/// `berth-shim --view` process in a private mount namespace and reached through its
/// `/proc/<pid>/root`; closing ends that process and with it every mount.
final class ContainerFilesystem: @unchecked Sendable {
    // Used by one request at a time; `close` runs once, after the last use of `root`.
    let root: Int32
    private let view: RootfsViewProcess?

    private init(root: Int32, view: RootfsViewProcess?) {
        self.root = root
        self.view = view
    }

    /// Closes the root and, for a stopped container, ends the view process and waits until
    /// its mounts are gone (the container may start right after).
    func close() {
        Glibc.close(root)
        view?.finish()
    }

    /// The root of a running container whose init is `pid`, a child of the shim `shimPid`; nil
    /// when that process is gone (the container just stopped).
    static func running(pid: Int32, shimPid: Int32) -> ContainerFilesystem? {
        // The pidfd pins the process: if it is still alive after the open, the pid cannot have
        // been reused in between, so /proc/<pid> was the container's init.
        let pidfd = berth_pidfd_open(pid)
        guard pidfd >= 0 else { return nil }
        defer { Glibc.close(pidfd) }
        let fd = open("/proc/\(pid)/root", berth_O_PATH | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        guard parent(of: pid) == shimPid, berth_pidfd_send_signal(pidfd, 0) == 0 else {
            Glibc.close(fd)
            return nil
        }
        return ContainerFilesystem(root: fd, view: nil)
    }

    /// Mounts a stopped container's filesystem as `spec` describes it in a view process.
    static func stopped(spec: ContainerSpec, shim: ShimExecutable, log: String) throws(EngineError) -> ContainerFilesystem {
        let view = try RootfsViewProcess.start(spec: spec, shim: shim, log: log)
        let fd = open("/proc/\(view.pid)/root\(spec.rootfs.mountPoint)", berth_O_PATH | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            let e = EngineError(.internalError, "cannot open the container's filesystem: \(String(cString: strerror(errno)))")
            view.finish()
            throw e
        }
        return ContainerFilesystem(root: fd, view: view)
    }

    /// The parent pid in /proc/<pid>/stat (after the command name, which may hold spaces).
    static func parent(of pid: Int32) -> Int32? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? Int32(fields[1]) : nil
    }
}

/// A `berth-shim --view` process holding a stopped container's mounts.
struct RootfsViewProcess {
    let pid: Int32
    /// berthd's end of the process's stdin: closing it ends the process.
    let stdin: Int32
    let pidfd: Int32

    static func start(spec: ContainerSpec, shim: ShimExecutable, log: String) throws(EngineError) -> RootfsViewProcess {
        func failure(_ what: String) -> EngineError {
            EngineError(.internalError, "cannot mount the container's filesystem: \(what): \(String(cString: strerror(errno)))")
        }
        var input: [Int32] = [0, 0], output: [Int32] = [0, 0]
        guard berth_pipe2(&input, O_CLOEXEC) == 0 else { throw failure("pipe") }
        guard berth_pipe2(&output, O_CLOEXEC) == 0 else {
            Glibc.close(input[0]); Glibc.close(input[1])
            throw failure("pipe")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, log, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        let argv = [shim.path, "--view"]
        var cargs = argv.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        var pid: pid_t = 0
        let rc = shim.environment.withUnsafeBufferPointer { env in
            posix_spawn(&pid, shim.executable, &actions, nil, &cargs, UnsafeMutablePointer(mutating: env.baseAddress))
        }
        Glibc.close(input[0])
        Glibc.close(output[1])
        defer { Glibc.close(output[0]) }
        guard rc == 0 else {
            Glibc.close(input[1])
            errno = rc
            throw failure("start \(shim.path)")
        }
        // The child is not reaped before it exits, so the pid is still its own.
        let view = RootfsViewProcess(pid: pid, stdin: input[1], pidfd: berth_pidfd_open(pid))
        do throws(EngineError) {
            var line = (try? JSONEncoder().encode(spec)) ?? Data()
            line.append(0x0a)
            let sent = line.withUnsafeBytes { write(input[1], $0.baseAddress, $0.count) }
            guard sent == line.count else { throw failure("send the spec") }
            var answer: [UInt8] = []
            var byte: UInt8 = 0
            while answer.count < 4096 {
                let n = read(output[0], &byte, 1)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 || byte == 0x0a { break }
                answer.append(byte)
            }
            let text = String(decoding: answer, as: UTF8.self)
            guard text == "ready" else {
                throw EngineError(.internalError, "cannot mount the container's filesystem: \(text.isEmpty ? "berth-shim --view exited" : text)")
            }
        } catch {
            view.finish()
            throw error
        }
        return view
    }

    /// Ends the process and waits until it is gone, mounts and all.
    func finish() {
        Glibc.close(stdin)
        guard pidfd >= 0 else { return }
        var p = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
        while poll(&p, 1, 10_000) < 0 && errno == EINTR {}
        Glibc.close(pidfd)
        // berthd's SIGCHLD handler reaps only shims: the view is ours to reap.
        while waitpid(pid, nil, 0) < 0 && errno == EINTR {}
    }
}
