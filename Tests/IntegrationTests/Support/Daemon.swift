import Foundation
import Glibc

/// A private berthd for one test: its own data root, exec root and socket under a temp dir,
/// and its own network namespace (made here, deleted with the daemon), so its bridge, veth
/// pairs and packet-filter rules never touch the machine's network.
final class Daemon: @unchecked Sendable {
    // Mutated only by the test that owns it, never concurrently.
    let dir: String
    var dataRoot: String { "\(dir)/data" }
    var execRoot: String { "\(dir)/run" }
    var socket: String { "\(execRoot)/berth.sock" }
    var host: String { "unix://\(socket)" }
    /// The network namespace berthd runs in (`/run/netns/<name>`).
    let netns: NetNS
    /// berthd flags the test adds (e.g. `--bridge-subnet`).
    let extraArguments: [String]
    /// Variables added to berthd's environment (e.g. `BERTH_REGISTRY_READ_TIMEOUT`).
    let environment: [String: String]
    private(set) var process: Process?
    /// berthd sees /sys/fs/cgroup/unified as /sys/fs/cgroup (`cgroupV2` on a hybrid host).
    let unifiedCgroup: Bool

    /// `netns`: a namespace shared with the test's other servers (a registry, other daemons);
    /// berthds sharing one run without a bridge or packet filter, which only one may own.
    /// `dataRootSize`: the data root is a tmpfs of that size (`64m`), a disk that can fill up.
    /// `cgroupV2`: on a hybrid host, berthd runs in a mount namespace of its own where the
    /// unified mount covers /sys/fs/cgroup, so it and its shims see cgroup v2 alone.
    init(_ extraArguments: [String] = [], netns shared: NetNS? = nil, dataRootSize: String? = nil, cgroupV2: Bool = false,
         environment: [String: String] = [:]) throws {
        dir = try TempDir.make("berthd")
        self.environment = environment
        unifiedCgroup = cgroupV2 && access("/sys/fs/cgroup/cgroup.controllers", F_OK) != 0
        if let size = dataRootSize {
            mkdir("\(dir)/data", 0o700)
            guard mount("tmpfs", "\(dir)/data", "tmpfs", 0, "size=\(size),mode=0700") == 0 else {
                throw TestFailure("mount tmpfs on \(dir)/data: \(String(cString: strerror(errno)))")
            }
        }
        netns = try shared ?? NetNS()
        self.extraArguments = extraArguments + (shared == nil ? [] : ["--bridge", "none", "--firewall", "none"])
        try start()
    }

    deinit {
        removeAllContainers()
        stop()
        // Network namespaces of containers still bound under the exec root.
        for ns in (try? FileManager.default.contentsOfDirectory(atPath: "\(execRoot)/netns")) ?? [] {
            umount2("\(execRoot)/netns/\(ns)", Int32(MNT_DETACH))
        }
        umount2(dataRoot, Int32(MNT_DETACH))  // a `dataRootSize` tmpfs; EINVAL otherwise
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
        p.executableURL = URL(fileURLWithPath: "/usr/bin/nsenter")
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        p.arguments = ["--net=\(netns.path)", Binaries.berthd, "--data-root", dataRoot, "--exec-root", execRoot, "--host", host] + extraArguments
        if unifiedCgroup {
            p.arguments = ["--mount", "--propagation", "slave", "/bin/sh", "-c",
                           #"mount --bind /sys/fs/cgroup/unified /sys/fs/cgroup && exec /usr/bin/nsenter "$@""#, "sh"] + p.arguments!
            p.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        }
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

    /// Runs a program inside berthd's network namespace (curl, ip, iptables-save).
    @discardableResult
    func inNetns(_ args: String...) -> Run.Result { netns.run(args) }

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

/// A network namespace a test makes (`ip netns add`), with loopback up; deleted on deinit.
final class NetNS: @unchecked Sendable {
    // Immutable after init.
    let name: String
    var path: String { "/run/netns/\(name)" }

    init() throws {
        name = "berth-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let r = Run.run("/usr/sbin/ip", ["netns", "add", name])
        guard r.status == 0 else { throw TestFailure("ip netns add \(name): \(r.stderr)") }
        run(["ip", "link", "set", "lo", "up"])
    }

    deinit { _ = Run.run("/usr/sbin/ip", ["netns", "delete", name]) }

    /// Runs `args` (looked up in PATH) in this namespace, in the test's mount namespace.
    @discardableResult
    func run(_ args: [String]) -> Run.Result { Run.run("/usr/bin/nsenter", ["--net=\(path)"] + args) }

    /// Runs `exe` with `args` and `env` in this namespace.
    func run(_ exe: String, _ args: [String], env: [String: String] = [:]) -> Run.Result {
        Run.run("/usr/bin/nsenter", ["--net=\(path)", exe] + args, env: env)
    }

    /// Makes `p` start inside the namespace. nsenter joins only the network namespace (and
    /// execs, so the pid is the program's); `ip netns exec` would also remount /sys and hide
    /// the cgroup hierarchies containers need.
    func wrap(_ p: Process) {
        let exe = p.executableURL?.path ?? ""
        p.executableURL = URL(fileURLWithPath: "/usr/bin/nsenter")
        p.arguments = ["--net=\(path)", exe] + (p.arguments ?? [])
    }

    /// Ends a process `spawn` started (SIGKILL: servers may have inherited SIGTERM ignored).
    static func stop(_ p: Process) {
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
    }

    /// Starts `args` in this namespace in the background (a server); end it with `stop`.
    func spawn(_ args: [String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/nsenter")
        p.arguments = ["--net=\(path)"] + args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }
}
