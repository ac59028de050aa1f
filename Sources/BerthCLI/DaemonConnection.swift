import BerthAPI
import Foundation
import Glibc

/// How the CLI reaches berthd: `--host`/`-H` or `BERTH_HOST`, else the default socket, starting
/// a local berthd when nothing answers there.
public enum DaemonConnection {
    public static let defaultSocket = "/run/berth/berth.sock"

    /// The socket path to use, starting berthd if it is the default and nothing answers.
    static func socketPath() throws -> String {
        if let h = ProcessInfo.processInfo.environment["BERTH_HOST"], !h.isEmpty {
            guard h.hasPrefix("unix://") || h.hasPrefix("/") else {
                throw CLIError("BERTH_HOST=\(h): only unix:///path sockets are supported")
            }
            return h.hasPrefix("unix://") ? String(h.dropFirst(7)) : h
        }
        if (try? UnixHTTPClient(socketPath: defaultSocket)) != nil { return defaultSocket }
        try startDaemon()
        return defaultSocket
    }

    static func client() throws -> UnixHTTPClient {
        let path = try socketPath()
        do { return try UnixHTTPClient(socketPath: path) } catch {
            throw CLIError("Cannot connect to berthd at unix://\(path). Is berthd running? Start it with `berthd --host unix://\(path)` or point BERTH_HOST at its socket.")
        }
    }

    /// Starts `berthd` (next to this binary, else on PATH) in its own session, logging to
    /// /run/berth/berthd.log, and waits for its socket.
    static func startDaemon() throws {
        guard geteuid() == 0 else {
            throw CLIError("berthd is not running at unix://\(defaultSocket), and starting it needs root. Run `sudo berthd &`, or set BERTH_HOST to a running berthd's socket.")
        }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let sibling = (exe as NSString).deletingLastPathComponent + "/berthd"
        let berthd = FileManager.default.isExecutableFile(atPath: sibling) ? sibling : "berthd"
        try FileManager.default.createDirectory(atPath: "/run/berth", withIntermediateDirectories: true)
        let log = open("/run/berth/berthd.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if log >= 0 {
            posix_spawn_file_actions_adddup2(&actions, log, 1)
            posix_spawn_file_actions_adddup2(&actions, log, 2)
        }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        posix_spawnattr_setflags(&attr, Int16(posixSpawnSetsid))
        let argv = [berthd]
        var cargs = argv.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, berthd, &actions, &attr, &cargs, environ)
        if log >= 0 { close(log) }
        guard rc == 0 else { throw CLIError("cannot start berthd (\(berthd)): \(String(cString: strerror(rc))); install it next to berth or on PATH") }
        FileHandle.standardError.write(Data("Started berthd (pid \(pid)); its log is /run/berth/berthd.log\n".utf8))
        for _ in 0..<100 {
            if (try? UnixHTTPClient(socketPath: defaultSocket)) != nil { return }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                throw CLIError("berthd exited at start (status \(status)); see /run/berth/berthd.log")
            }
            usleep(100_000)
        }
        throw CLIError("berthd did not open \(defaultSocket) within 10 seconds; see /run/berth/berthd.log")
    }
}

/// A failure the CLI reports as `berth: <message>` (or Docker's daemon-error form) and exit code.
public struct CLIError: Error, CustomStringConvertible {
    public let message: String
    public let exitCode: Int32
    public init(_ message: String, exitCode: Int32 = 1) {
        self.message = message
        self.exitCode = exitCode
    }
    public var description: String { message }
}

/// glibc's POSIX_SPAWN_SETSID, which Swift's Glibc module does not export.
private let posixSpawnSetsid: Int32 = 0x80
