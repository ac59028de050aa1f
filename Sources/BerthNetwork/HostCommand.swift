import Foundation
import Glibc

/// A short-lived program berthd runs on the host (`ps` for `top`, `iptables-restore`), with its
/// output captured. Blocking: call it off the cooperative pool.
public struct HostCommand: Sendable {
    public var status: Int32?
    public var stdout: String
    public var stderr: String

    /// Exit status 0 — or, when a SIGCHLD reaper collected the child before us, output on
    /// stdout and none on stderr.
    public var succeeded: Bool { status.map { $0 == 0 } ?? (!stdout.isEmpty && stderr.isEmpty) }

    /// Runs `program` (looked up in PATH) with `args` and waits for it; `input` is written to
    /// its stdin (else it reads /dev/null).
    public static func run(_ program: String, _ args: [String], input: String? = nil) throws(NetworkError) -> HostCommand {
        var out: [Int32] = [0, 0], err: [Int32] = [0, 0], inp: [Int32] = [-1, -1]
        guard pipe(&out) == 0 else { throw .sys("pipe", errno: errno) }
        guard pipe(&err) == 0 else {
            close(out[0]); close(out[1])
            throw .sys("pipe", errno: errno)
        }
        if input != nil, pipe(&inp) != 0 {
            for fd in out + err { close(fd) }
            throw .sys("pipe", errno: errno)
        }
        // Close-on-exec, so no shim berthd spawns meanwhile holds these pipes open.
        for fd in out + err + inp where fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if input != nil {
            posix_spawn_file_actions_adddup2(&actions, inp[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, err[1], 2)
        let argv = [program] + args
        var cargs = argv.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, program, &actions, nil, &cargs, environ)
        close(out[1])
        close(err[1])
        if inp[0] >= 0 { close(inp[0]) }
        defer { close(out[0]); close(err[0]) }
        guard rc == 0 else {
            if inp[1] >= 0 { close(inp[1]) }
            throw NetworkError(.unavailable, "cannot run \(program) on the host: \(String(cString: strerror(rc))); install it or put it on berthd's PATH")
        }
        if let input, inp[1] >= 0 {
            // Scripts are small (a few KB of rules): the child reads them before it writes much,
            // so writing first and reading after cannot deadlock on full pipes.
            let bytes = Array(input.utf8)
            var off = 0
            while off < bytes.count {
                let n = bytes[off...].withUnsafeBytes { write(inp[1], $0.baseAddress, $0.count) }
                if n < 0 { if errno == EINTR { continue }; break }
                off += n
            }
            close(inp[1])
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
