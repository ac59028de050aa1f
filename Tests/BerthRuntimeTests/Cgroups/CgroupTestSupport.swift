import Foundation
import Glibc
import Testing

@testable import BerthRuntime

/// What this machine allows the live tests to do.
enum CgroupTestHost {
    static let root = Cgroup.defaultRoot
    static let unifiedRoot = "\(Cgroup.defaultRoot)/unified"

    /// Root on a v1 (or hybrid) host with a writable memory hierarchy.
    static var canRunV1: Bool {
        getuid() == 0 && CgroupVersion.detect(root: root) == .v1 && access("\(root)/memory", W_OK) == 0
    }

    /// A hybrid host's cgroup2 mount at `/sys/fs/cgroup/unified`, usable as a v2 root.
    static var canRunHybridV2: Bool {
        getuid() == 0 && CgroupVersion.detect(root: root) == .v1 && access("\(unifiedRoot)/cgroup.controllers", R_OK) == 0
    }

    /// Controllers the hybrid cgroup2 mount offers (here typically none but hugetlb).
    static var unifiedControllers: [String] {
        cgroupTestRead("\(unifiedRoot)/cgroup.controllers").split(separator: " ").map(String.init)
    }

    /// The CPUs online here, as the kernel lists them.
    static var onlineCPUs: String { cgroupTestRead("/sys/devices/system/cpu/online") }
}

/// A unique parent group (`berth-test-<uuid>`) under a cgroup root for one test; `cleanup`
/// kills whatever is left in it and removes it everywhere.
struct CgroupTestScope {
    let root: String
    let name: String

    init(root: String = CgroupTestHost.root) {
        self.root = root
        self.name = "berth-test-\(UUID().uuidString.lowercased().prefix(12))"
    }

    func path(_ id: String = "c1") -> String { "\(name)/\(id)" }

    func spec(_ id: String = "c1", _ configure: (inout ContainerSpec.CgroupSpec) -> Void = { _ in }) -> ContainerSpec.CgroupSpec {
        var spec = ContainerSpec.CgroupSpec(path: path(id))
        configure(&spec)
        return spec
    }

    func create(_ id: String = "c1", _ configure: (inout ContainerSpec.CgroupSpec) -> Void = { _ in }) throws(CgroupError) -> Cgroup {
        try Cgroup.create(spec(id, configure), root: root)
    }

    /// A v1 controller's directory for this scope's cgroup `id` (`<root>/memory/<name>/c1`).
    func v1Dir(_ controller: String, _ id: String = "c1") -> String { "\(root)/\(controller)/\(path(id))" }

    func cleanup() {
        if let parent = try? Cgroup.open(path: name, root: root) { try? parent.destroy() }
    }
}

/// A `/bin/sh -c` script that waits on stdin until released, so a test can put it in a cgroup
/// before it does anything. Output goes to files, readable while it runs.
final class CgroupTestProcess {
    let process = Process()
    private let gate = Pipe()
    let outputPath: String
    let errorPath: String

    init(_ script: String) throws {
        let base = "/tmp/berth-cgroup-test-\(UUID().uuidString)"
        outputPath = "\(base).out"
        errorPath = "\(base).err"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "read _gate; \(script)"]
        process.standardInput = gate
        process.standardOutput = FileHandle(forWritingAtPath: outputPath)
        process.standardError = FileHandle(forWritingAtPath: errorPath)
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        unlink(outputPath)
        unlink(errorPath)
    }

    var pid: Int32 { process.processIdentifier }

    /// Lets the script run.
    func release() {
        gate.fileHandleForWriting.write(Data("go\n".utf8))
        try? gate.fileHandleForWriting.close()
    }

    var output: String { cgroupTestRead(outputPath) }
    var errorOutput: String { cgroupTestRead(errorPath) }

    /// Waits for the process to end; false on timeout.
    func waitForExit(timeout: Double) -> Bool {
        cgroupTestWait(timeout: timeout) { !process.isRunning }
    }

    /// Killed by `signal`?
    func wasKilled(by signal: Int32) -> Bool {
        !process.isRunning && process.terminationReason == .uncaughtSignal && process.terminationStatus == signal
    }
}

/// A file's contents without surrounding whitespace ("" when unreadable).
func cgroupTestRead(_ path: String) -> String {
    ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Polls `condition` every 20ms until it holds or `timeout` seconds pass.
func cgroupTestWait(timeout: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
}

/// The `State:` line of /proc/<pid>/status (`R (running)`, `D (disk sleep)`…), or nil when gone.
func cgroupTestProcessState(_ pid: Int32) -> String? {
    let status = cgroupTestRead("/proc/\(pid)/status")
    guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("State:") }) else { return nil }
    return line.dropFirst("State:".count).trimmingCharacters(in: .whitespaces)
}

/// Gone, or a zombie waiting to be reaped.
func cgroupTestProcessIsDead(_ pid: Int32) -> Bool {
    guard let state = cgroupTestProcessState(pid) else { return true }
    return state.hasPrefix("Z") || state.hasPrefix("X")
}

/// The CgroupError `body` throws, or nil (any other error fails the test).
func cgroupError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> CgroupError? {
    do {
        try body()
        return nil
    } catch let error as CgroupError {
        return error
    } catch {
        Issue.record("not a CgroupError: \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
