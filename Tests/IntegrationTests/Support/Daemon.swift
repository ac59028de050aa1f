import Foundation
import Glibc

/// A private berthd for one test: its own data root, exec root and socket under a temp dir.
final class Daemon: @unchecked Sendable {
    // Mutated only by the test that owns it, never concurrently.
    let dir: String
    var dataRoot: String { "\(dir)/data" }
    var execRoot: String { "\(dir)/run" }
    var socket: String { "\(execRoot)/berth.sock" }
    var host: String { "unix://\(socket)" }
    private(set) var process: Process?
    /// berthd options beyond the roots and socket (e.g. `--userns-remap`).
    let options: [String]
    /// The network namespace berthd runs in (its registry traffic stays there), if any.
    let netns: NetNS?

    init(options: [String] = [], netns: NetNS? = nil) throws {
        dir = try TempDir.make("berthd")
        self.options = options
        self.netns = netns
        try start()
    }

    deinit {
        removeAllContainers()
        stop()
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Containers outlive berthd (their shims keep them): a test's must not outlive the test.
    func removeAllContainers() {
        if process?.isRunning != true { try? start() }
        let ids = berth("ps", "-aq").stdout.split(whereSeparator: \.isWhitespace).map(String.init)
        guard !ids.isEmpty else { return }
        Run.run(Binaries.berth, ["rm", "-f"] + ids, env: ["BERTH_HOST": host])
    }

    func start() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Binaries.berthd)
        p.arguments = ["--data-root", dataRoot, "--exec-root", execRoot, "--host", host] + options
        netns?.wrap(p)
        let log = FileHandle(forWritingAtPath: try logFile()) ?? .nullDevice
        log.seekToEndOfFile()
        p.standardOutput = log
        p.standardError = log
        try p.run()
        process = p
        for _ in 0..<200 {
            if Run.curl(socket: socket, path: "/_ping").status == 0 { return }
            guard p.isRunning else { throw TestFailure("berthd exited at start: \(self.log)") }
            usleep(50_000)
        }
        throw TestFailure("berthd did not answer on \(socket) within 10s: \(self.log)")
    }

    func logFile() throws -> String {
        let path = "\(dir)/berthd.log"
        if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
        return path
    }

    var log: String { (try? String(contentsOfFile: "\(dir)/berthd.log", encoding: .utf8)) ?? "" }

    /// SIGTERM and wait.
    func stop() {
        guard let p = process, p.isRunning else { return }
        p.terminate()
        p.waitUntilExit()
    }

    /// SIGKILL, as a crash.
    func kill9() {
        guard let p = process, p.isRunning else { return }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
    }

    /// Runs `berth` against this daemon.
    @discardableResult
    func berth(_ args: String..., stdin: String? = nil) -> Run.Result {
        Run.run(Binaries.berth, Array(args), env: ["BERTH_HOST": host], stdinFile: stdin)
    }

    /// Runs the real docker CLI against this daemon.
    @discardableResult
    func docker(_ args: String...) -> Run.Result {
        Run.run(Binaries.docker, Array(args), env: ["DOCKER_HOST": host])
    }

    /// Names directly under a data-root subdirectory.
    func entries(_ sub: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "\(dataRoot)/\(sub)")) ?? []).sorted()
    }
}

/// A private Debian dockerd (no bridge, no iptables) to produce and consume archives.
final class DockerDaemon: @unchecked Sendable {
    // Owned by one test.
    let dir: String
    let process: Process
    var host: String { "unix://\(dir)/docker.sock" }

    init(netns: NetNS? = nil) throws {
        dir = try TempDir.make("dockerd")
        process = Process()
        process.executableURL = URL(fileURLWithPath: Binaries.dockerd)
        process.arguments = ["--data-root", "\(dir)/data", "--exec-root", "\(dir)/exec", "--host", "unix://\(dir)/docker.sock",
                             "--pidfile", "\(dir)/docker.pid", "--bridge=none", "--iptables=false", "--ip-masq=false"]
        netns?.wrap(process)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<300 {
            if Run.run(Binaries.docker, ["version"], env: ["DOCKER_HOST": "unix://\(dir)/docker.sock"]).status == 0 { return }
            usleep(100_000)
        }
        throw TestFailure("dockerd did not start within 30s")
    }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        _ = Run.sh("umount -R \(dir)/data 2>/dev/null; umount -R \(dir)/exec 2>/dev/null; rm -rf \(dir)")
    }

    @discardableResult
    func docker(_ args: String...) -> Run.Result {
        Run.run(Binaries.docker, Array(args), env: ["DOCKER_HOST": host])
    }
}
