import Foundation
import Glibc
@testable import BerthRuntime

/// A busybox container bundle in its own temp dir: one lower layer (busybox-static and its
/// applet links, /etc/passwd with root and nobody, /etc/group) behind the short link `l/BB`,
/// upper, work and merged dirs, and a bundle dir with the spec. Driven through the real
/// berth-shim binary.
final class ContainerFixture {
    let root: String
    var spec: ContainerSpec
    var bundle: ShimBundle { ShimBundle(directory: root + "/bundle") }
    var socketPath: String { root + "/bundle/shim.sock" }
    var lower: String { root + "/layers/lower" }
    private(set) var shim: ChildProcess?

    init(_ args: [String], configure: (inout ContainerSpec) -> Void = { _ in }) throws {
        var template = "/tmp/berth-rt-XXXXXX".utf8CString
        guard let made = template.withUnsafeMutableBufferPointer({ buf in buf.baseAddress.flatMap { mkdtemp($0) } }) else {
            throw RuntimeError(.system, "mkdtemp")
        }
        root = String(cString: made)
        let lower = root + "/layers/lower"
        let fm = FileManager.default
        for dir in ["layers/lower/bin", "layers/lower/etc", "layers/lower/tmp", "layers/lower/root",
                    "layers/l", "upper", "work", "merged", "bundle"] {
            try fm.createDirectory(atPath: root + "/" + dir, withIntermediateDirectories: true)
        }
        try fm.copyItem(atPath: "/bin/busybox", toPath: lower + "/bin/busybox")
        for applet in try Self.busyboxApplets() where applet != "busybox" {
            try fm.createSymbolicLink(atPath: lower + "/bin/" + applet, withDestinationPath: "busybox")
        }
        try "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/nonexistent:/bin/sh\n"
            .write(toFile: lower + "/etc/passwd", atomically: false, encoding: .utf8)
        try "root:x:0:root\nwheel:x:10:root\nnogroup:x:65534:\n"
            .write(toFile: lower + "/etc/group", atomically: false, encoding: .utf8)
        try fm.createSymbolicLink(atPath: root + "/layers/l/BB", withDestinationPath: "../lower")

        var rootfs = ContainerSpec.Rootfs(layersDir: root + "/layers", lowerDirs: ["l/BB"], upperDir: root + "/upper",
                                          workDir: root + "/work", mountPoint: root + "/merged")
        rootfs.readOnly = false
        var process = ProcessSpec(args: args, env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                                  cwd: "/", user: "", capabilities: CapabilitySet.dockerDefaultNames)
        process.terminal = false
        var spec = ContainerSpec(id: "c" + String(root.suffix(6)), rootfs: rootfs, process: process,
                                 hostname: "berthhost", log: ContainerSpec.LogSpec(path: root + "/bundle/json.log"))
        spec.maskedPaths = ["/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys",
                            "/proc/latency_stats", "/proc/sched_debug", "/proc/scsi", "/proc/timer_list",
                            "/proc/timer_stats", "/sys/devices/virtual/powercap", "/sys/firmware"]
        spec.readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
        configure(&spec)
        self.spec = spec
    }

    deinit {
        if let shim, shim.isRunning {
            // Stop the container first: killing only the shim would orphan it.
            _ = try? ShimConnection.request(.signal(SIGKILL), socketPath: socketPath)
            if (try? shim.wait(timeout: 5)) == nil {
                shim.signal(SIGKILL)
                _ = try? shim.wait(timeout: 5)
            }
        }
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Writes the spec, starts berth-shim and returns its start report.
    func start() throws -> ShimStartReport {
        try bundle.writeSpec(spec)
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw TestFailure("pipe") }
        let log = open(bundle.shimLogPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        defer { close(log) }
        shim = try ChildProcess(try Self.shimPath(), ["--bundle", bundle.directory, "--socket", socketPath],
                                stdio: [-1, fds[1], log])
        close(fds[1])
        var line: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fds[0], &buffer, buffer.count)
            if n <= 0 { break }
            line += buffer[..<n]
        }
        close(fds[0])
        return try JSONDecoder().decode(ShimStartReport.self, from: Data(line))
    }

    /// Waits for the shim to exit (it does once the container has) and returns the final state.
    @discardableResult
    func waitForExit(timeout: Double = 20) throws -> ContainerState {
        try shim?.wait(timeout: timeout)
        return try bundle.loadState()
    }

    /// Runs the container to completion: report, final state, and its json log.
    func run() throws -> (report: ShimStartReport, state: ContainerState, log: [LogEntry]) {
        let report = try start()
        let state = try waitForExit()
        return (report, state, try logEntries())
    }

    struct LogEntry: Decodable, Equatable {
        var log: String
        var stream: String
        var time: String
    }

    func logEntries(_ path: String? = nil) throws -> [LogEntry] {
        let text = (try? String(contentsOfFile: path ?? spec.log.path, encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map { try JSONDecoder().decode(LogEntry.self, from: Data($0.utf8)) }
    }

    /// The stdout of the log joined.
    func stdout() throws -> String {
        try logEntries().filter { $0.stream == "stdout" }.map(\.log).joined()
    }

    /// A connection to the running shim with a read timeout, so a broken test cannot hang.
    func connect() throws -> ShimConnection {
        let connection = try ShimConnection(socketPath: socketPath)
        connection.setTimeout(seconds: 15)
        return connection
    }

    static func shimPath() throws -> String {
        if let env = ProcessInfo.processInfo.environment["BERTH_SHIM_PATH"] { return env }
        let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("berth-shim").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        throw RuntimeError(.notFound, "berth-shim not found beside \(exe)")
    }

    private static func busyboxApplets() throws -> [String] {
        try ChildProcess.output("/bin/busybox", ["--list"]).split(separator: "\n").map(String.init)
    }
}

extension CapabilitySet {
    static let dockerDefaultNames = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
                                     "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
                                     "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]
}
