import CBerthSys
import Glibc

/// The last steps before execve, shared by the container's init and by execs, run inside the
/// container's root: resolve the user, rlimits, working directory, credentials and
/// capabilities, then find the program in PATH and exec it.
struct ProcessLaunch {
    let process: ProcessSpec
    /// Run a tiny init as PID 1 that execs the process as its child (`--init`).
    var tinyInit = false
    /// The seccomp filter, built by the shim before clone/fork (nil: unconfined or privileged).
    var seccomp: SeccompFilter.Prepared?

    /// /etc/passwd and /etc/group larger than this are refused rather than parsed.
    static let accountFileLimit = 4 << 20

    /// Never returns on success; throws what prevented the exec, with Docker's exit code.
    func exec() throws(StartFailure) -> Never {
        let user: ExecUser
        var env = process.env
        do throws(RuntimeError) {
            let root = try RootDirectory.open(host: "/")
            defer { root.close() }
            user = try ExecUser.resolve(process.user, additionalGroups: process.additionalGroups,
                                        passwd: try readAccountFile("/etc/passwd", root),
                                        group: try readAccountFile("/etc/group", root))
            if !env.contains(where: { $0.hasPrefix("HOME=") }) { env.append("HOME=\(user.home)") }
            try ResourceLimit.apply(process.rlimits)
            try enterWorkingDirectory(root, owner: (user.uid, user.gid))
            if process.noNewPrivileges {
                guard berth_set_no_new_privs() == 0 else { throw .sys("prctl(PR_SET_NO_NEW_PRIVS)") }
            }
        } catch {
            throw StartFailure(error)
        }
        // Without no_new_privs the kernel lets only a CAP_SYS_ADMIN holder load a filter, so it
        // goes in before capabilities are dropped (runc's order); with it, as late as possible.
        if !process.noNewPrivileges { try loadSeccomp() }
        do throws(RuntimeError) {
            try ProcessCredentials(user: user, capabilities: CapabilitySet(names: process.capabilities)).apply()
        } catch {
            throw StartFailure(error)
        }
        guard let name = process.args.first else {
            throw StartFailure(exitCode: 125, message: "no command specified")
        }
        let path = try ExecutableLookup.resolve(name, env: env)
        if process.noNewPrivileges { try loadSeccomp() }
        if tinyInit { TinyInit.forkChild() }
        umask(0o022)
        // Anything still open above stdio (only the CLOEXEC error pipe should be) goes at exec.
        _ = berth_close_range(3, UInt32.max, 1)
        execve(path: path, args: process.args, env: env)
        throw StartFailure.execve(name, errno: errno)
    }

    private func loadSeccomp() throws(StartFailure) {
        do { try seccomp?.load() } catch {
            throw StartFailure(exitCode: 125, message: "error loading seccomp filter: \(error)")
        }
    }

    /// The file's text, nil when missing. Only regular files, opened non-blocking (a FIFO in
    /// the image must not hang the shim) and bounded in size.
    private func readAccountFile(_ path: String, _ root: RootDirectory) throws(RuntimeError) -> String? {
        let fd = berth_open_in_root(root.fd, path, O_RDONLY | O_NONBLOCK, 0, 0)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw .sys("open \(path)")
        }
        defer { Descriptor.close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
            throw RuntimeError(.invalidArgument, "\(path) is not a regular file")
        }
        let bytes = try Descriptor.readToEnd(fd, limit: Self.accountFileLimit + 1)
        guard bytes.count <= Self.accountFileLimit else {
            throw RuntimeError(.invalidArgument, "\(path) is larger than \(Self.accountFileLimit) bytes")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// chdir(cwd), creating it owned by the user when missing, as Docker does. The path is
    /// resolved inside the root without magic links, so `WORKDIR /proc/self/fd/N`
    /// (CVE-2024-21626) cannot reach a host directory.
    private func enterWorkingDirectory(_ root: RootDirectory, owner: (UInt32, UInt32)) throws(RuntimeError) {
        let cwd = process.cwd.isEmpty ? "/" : process.cwd
        let fd = try root.makeDirectory(cwd, owner: owner)
        defer { Descriptor.close(fd) }
        guard fchdir(fd) == 0 else { throw .sys("chdir to cwd (\"\(cwd)\") set in config.json") }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil, buffer.first == 0x2F else {
            throw RuntimeError(.permissionDenied, "current working directory is outside of container mount namespace root")
        }
    }

    private func execve(path: String, args: [String], env: [String]) {
        var cArgs = args.map { strdup($0) } + [nil]
        var cEnv = env.map { strdup($0) } + [nil]
        _ = Glibc.execve(path, &cArgs, &cEnv)
        let saved = errno
        for p in cArgs { free(p) }
        for p in cEnv { free(p) }
        errno = saved
    }
}
