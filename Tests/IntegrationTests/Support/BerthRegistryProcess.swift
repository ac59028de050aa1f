import Foundation
import Glibc

/// `berth registry serve` on 127.0.0.1 in a test's namespace, with its root and request log in a temp dir.
final class BerthRegistryProcess: @unchecked Sendable {
    // Owned by one test.
    let dir: String
    let netns: NetNS
    let port: Int
    let extraArguments: [String]
    private(set) var process: Process
    var root: String { "\(dir)/root" }
    var host: String { "127.0.0.1:\(port)" }
    var logPath: String { "\(dir)/requests.log" }
    var stderrPath: String { "\(dir)/stderr.log" }

    init(netns: NetNS, _ extraArguments: [String] = []) throws {
        dir = try TempDir.make("berth-registry")
        self.netns = netns
        self.extraArguments = extraArguments
        port = Int.random(in: 20_000..<60_000)
        process = Process()
        try start()
    }

    func start() throws {
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Binaries.berth)
        p.arguments = ["registry", "serve", "--addr", host, "--root", root, "--log", logPath] + extraArguments
        netns.wrap(p)
        let err = FileHandle(forWritingAtPath: stderrPath) ?? .nullDevice
        p.standardOutput = err
        p.standardError = err
        try p.run()
        process = p
        let scheme = extraArguments.contains("--tls-cert") ? "https" : "http"
        for _ in 0..<200 {
            let code = netns.run("/usr/bin/curl", ["-sk", "-o", "/dev/null", "-w", "%{http_code}", "\(scheme)://\(host)/v2/"]).stdout
            if code == "200" || code == "401" { return }
            guard p.isRunning else { throw TestFailure("berth registry exited: \(stderr)") }
            usleep(50_000)
        }
        throw TestFailure("berth registry did not answer on \(host): \(stderr)")
    }

    /// SIGKILL, as a crash would.
    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: dir)
    }

    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Log lines of requests with `method` whose target contains `fragment`.
    func requests(_ method: String, _ fragment: String) -> [String] {
        log.split(separator: "\n").map(String.init).filter { $0.contains("\"\(method) ") && $0.contains(fragment) }
    }

    /// Starts the request log afresh (to look at one operation's requests).
    func clearLog() { truncate(logPath, 0) }

    /// curl in the namespace against this registry: `-s` plus `args`, URL made from `path`.
    func curl(_ path: String, _ args: String...) -> Run.Result {
        netns.run("/usr/bin/curl", ["-s"] + args + ["http://\(host)\(path)"])
    }

    /// Runs `berth` (not the daemon client: `registry gc` and the like) with `args`.
    func berth(_ args: String...) -> Run.Result { Run.run(Binaries.berth, Array(args)) }
}
