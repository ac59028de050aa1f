import Glibc

/// A child started with posix_spawn and waited for by pid. (Foundation's `Process` is avoided:
/// on Linux its termination monitor stalls `waitUntilExit` while another long-lived child — a
/// running shim — exists.)
final class ChildProcess {
    let pid: pid_t
    private var status: Int32?

    /// Starts `path` with `args`; `stdio` are the fds for 0, 1 and 2 (-1: /dev/null).
    init(_ path: String, _ args: [String], stdio: [Int32]) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (target, fd) in stdio.enumerated() {
            if fd >= 0 {
                posix_spawn_file_actions_adddup2(&actions, fd, Int32(target))
            } else {
                posix_spawn_file_actions_addopen(&actions, Int32(target), "/dev/null", O_RDWR, 0)
            }
        }
        var argv: [UnsafeMutablePointer<CChar>?] = ([path] + args).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, &argv, environ)
        guard rc == 0 else { throw TestFailure("posix_spawn \(path): errno \(rc)") }
        self.pid = pid
    }

    /// Reaps the child if it has exited.
    var isRunning: Bool {
        if status != nil { return false }
        var raw: Int32 = 0
        if waitpid(pid, &raw, WNOHANG) == pid { status = raw }
        return status == nil
    }

    /// Waits up to `timeout` seconds; kills the child (and throws) when it does not exit.
    @discardableResult
    func wait(timeout: Double) throws -> Int32 {
        let deadline = Double(time(nil)) + timeout
        while isRunning {
            if Double(time(nil)) > deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, nil, 0)
                status = -1
                throw TestFailure("pid \(pid) still running after \(timeout)s")
            }
            usleep(5_000)
        }
        return status ?? -1
    }

    func signal(_ sig: Int32) {
        if isRunning { kill(pid, sig) }
    }

    /// Runs a command to completion and returns its stdout.
    static func output(_ path: String, _ args: [String]) throws -> String {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw TestFailure("pipe") }
        let child = try ChildProcess(path, args, stdio: [-1, fds[1], -1])
        close(fds[1])
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fds[0], &buffer, buffer.count)
            if n <= 0 { break }
            out += buffer[..<n]
        }
        close(fds[0])
        try child.wait(timeout: 30)
        return String(decoding: out, as: UTF8.self)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
