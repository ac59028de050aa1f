import Foundation
import Glibc

/// A short-lived program berthd runs on the host (`ps` for `top`), with its output captured.
/// Blocking: call it through `Blocking.run`.
struct HostCommand {
    var status: Int32?
    var stdout: String
    var stderr: String

    /// Exit status 0 — or, when berthd's SIGCHLD reaper collected the child before us (it reaps
    /// every child), output on stdout and none on stderr.
    var succeeded: Bool { status.map { $0 == 0 } ?? (!stdout.isEmpty && stderr.isEmpty) }

    /// Runs `program` (looked up in PATH) with `args` and waits for it.
    static func run(_ program: String, _ args: [String]) throws(EngineError) -> HostCommand {
        var out: [Int32] = [0, 0], err: [Int32] = [0, 0]
        guard pipe(&out) == 0 else { throw EngineError(.internalError, "pipe: \(String(cString: strerror(errno)))") }
        guard pipe(&err) == 0 else {
            close(out[0]); close(out[1])
            throw EngineError(.internalError, "pipe: \(String(cString: strerror(errno)))")
        }
        // Close-on-exec, so no shim berthd spawns meanwhile holds these pipes open.
        for fd in out + err { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, err[1], 2)
        let argv = [program] + args
        var cargs = argv.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, program, &actions, nil, &cargs, environ)
        close(out[1])
        close(err[1])
        defer { close(out[0]); close(err[0]) }
        guard rc == 0 else {
            throw EngineError(.internalError, "cannot run \(program) on the host: \(String(cString: strerror(rc))); install it (procps) or put it on berthd's PATH")
        }
        let stdout = readAll(out[0])
        let stderr = readAll(err[0])
        var raw: Int32 = 0
        var waited: pid_t
        repeat { waited = waitpid(pid, &raw, 0) } while waited < 0 && errno == EINTR
        let status: Int32? = waited == pid ? ((raw & 0x7F) == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)) : nil
        return HostCommand(status: status, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    private static func readAll(_ fd: Int32) -> [UInt8] {
        var data: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buf, buf.count)
            if n < 0 { if errno == EINTR { continue }; break }
            if n == 0 { break }
            data.append(contentsOf: buf[0..<n])
        }
        return data
    }
}
