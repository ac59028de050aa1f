import Foundation
import Glibc

/// Debian's docker-registry (distribution 2.8) on 127.0.0.1 in a namespace, with its own
/// storage, optional htpasswd (bcrypt) auth, and its access log in a file.
final class DebianRegistry: @unchecked Sendable {
    // Owned by one test.
    let dir: String
    let port: Int
    let process: Process
    var host: String { "127.0.0.1:\(port)" }
    var logPath: String { "\(dir)/registry.log" }

    init(netns: NetNS, users: [String: String] = [:]) throws {
        let dir = try TempDir.make("registry")
        self.dir = dir
        let port = Int.random(in: 20_000..<60_000)
        self.port = port
        let logPath = "\(dir)/registry.log"
        var auth = ""
        if !users.isEmpty {
            for (u, p) in users {
                let r = Run.run("/usr/bin/htpasswd", ["-Bbn", u, p])
                guard r.status == 0 else { throw TestFailure("htpasswd failed (apache2-utils installed?): \(r.stderr)") }
                let f = FileHandle(forWritingAtPath: "\(dir)/htpasswd") ?? {
                    FileManager.default.createFile(atPath: "\(dir)/htpasswd", contents: nil)
                    return FileHandle(forWritingAtPath: "\(dir)/htpasswd")!
                }()
                f.seekToEndOfFile()
                f.write(Data(r.stdout.utf8))
                try f.close()
            }
            auth = "auth:\n  htpasswd:\n    realm: basic-realm\n    path: \(dir)/htpasswd\n"
        }
        try """
        version: 0.1
        log:
          level: info
          accesslog:
            disabled: false
        storage:
          filesystem:
            rootdirectory: \(dir)/storage
          delete:
            enabled: true
        http:
          addr: 127.0.0.1:\(port)
        \(auth)
        """.write(toFile: "\(dir)/config.yml", atomically: true, encoding: .utf8)
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/docker-registry")
        p.arguments = ["serve", "\(dir)/config.yml"]
        netns.wrap(p)
        let log = FileHandle(forWritingAtPath: logPath) ?? .nullDevice
        p.standardOutput = log
        p.standardError = log
        try p.run()
        process = p
        for _ in 0..<100 {
            let code = netns.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/v2/"]).stdout
            if code == "200" || code == "401" { return }
            guard process.isRunning else { throw TestFailure("docker-registry exited: \(self.log)") }
            usleep(100_000)
        }
        throw TestFailure("docker-registry did not answer on \(host): \(self.log)")
    }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Requests in the access log (combined format) with `method` whose path starts with `prefix`.
    func requests(_ method: String, _ prefix: String) -> [String] {
        log.split(separator: "\n").map(String.init).filter { $0.contains("\"\(method) \(prefix)") }
    }
}

/// A registry that serves what the test scripted, as a python3 http.server in a namespace:
/// each path maps to a status, headers and a body file.
final class ScriptedRegistry: @unchecked Sendable {
    // Owned by one test.
    let dir: String
    let port: Int
    let process: Process
    var host: String { "127.0.0.1:\(port)" }

    struct Route {
        var status = 200
        var headers: [String: String] = [:]
        var body = Data()
        /// Seconds to wait after each 64 KiB of body: a slow registry.
        var delay = 0.0
    }

    init(netns: NetNS, routes: [String: Route]) throws {
        let dir = try TempDir.make("scripted-registry")
        self.dir = dir
        let port = Int.random(in: 20_000..<60_000)
        self.port = port
        var table: [String: [String: Any]] = [:]
        for (i, (path, r)) in routes.enumerated() {
            try r.body.write(to: URL(fileURLWithPath: "\(dir)/body\(i)"))
            table[path] = ["status": r.status, "headers": r.headers, "body": "\(dir)/body\(i)", "delay": r.delay]
        }
        try JSONSerialization.data(withJSONObject: table).write(to: URL(fileURLWithPath: "\(dir)/routes.json"))
        try """
        import json, sys, time, http.server
        routes = json.load(open(sys.argv[1]))
        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def answer(self, send_body):
                path = self.path.split("?")[0]
                r = routes.get(path) or routes.get(self.command + " " + path)
                rng = self.headers.get("Range")
                with open(sys.argv[3], "a") as log:
                    log.write(self.command + " " + self.path + (" Range:" + rng if rng else "") + "\\n")
                if r is None:
                    self.send_response(404); self.send_header("Content-Length", "0"); self.end_headers(); return
                body = open(r["body"], "rb").read()
                status = r["status"]
                if rng and rng.startswith("bytes=") and status == 200:
                    start = int(rng[6:].split("-")[0])
                    self.send_response(206)
                    self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(body) - 1, len(body)))
                    body = body[start:]
                else:
                    self.send_response(status)
                for k, v in r["headers"].items(): self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not send_body: return
                for i in range(0, len(body), 65536):
                    self.wfile.write(body[i:i + 65536])
                    self.wfile.flush()
                    if r["delay"]: time.sleep(r["delay"])
            def do_GET(self): self.answer(True)
            def do_HEAD(self): self.answer(False)
            def log_message(self, *a): pass
        http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), H).serve_forever()
        """.write(toFile: "\(dir)/registry.py", atomically: true, encoding: .utf8)
        FileManager.default.createFile(atPath: "\(dir)/requests.log", contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = ["\(dir)/registry.py", "\(dir)/routes.json", String(port), "\(dir)/requests.log"]
        netns.wrap(p)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        process = p
        for _ in 0..<100 {
            if netns.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/v2/"]).stdout == "200" { return }
            usleep(100_000)
        }
        throw TestFailure("scripted registry did not start on \(host)")
    }

    deinit {
        // SIGKILL: python keeps the signal mask it inherits from the test thread, where SIGTERM is blocked.
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    var requests: [String] { ((try? String(contentsOfFile: "\(dir)/requests.log", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) }
}
