import Foundation
import Glibc

/// A veth pair from a test's network namespace to the machine's: the namespace's only way out,
/// to an address on the machine (`hostAddress`) and nowhere else — no default route, no rule
/// in the machine's packet filter. Both ends go away on deinit (and with the namespace).
final class Uplink: @unchecked Sendable {
    // Immutable after init.
    let hostInterface: String
    let hostAddress: String
    /// The namespace's end of the link: what its traffic leaves from (after berth's MASQUERADE).
    let namespaceAddress: String

    init(_ netns: NetNS) throws {
        let tag = String(format: "%08x", UInt32.random(in: 0...UInt32.max))
        hostInterface = "bup\(tag)"
        let inside = "bun\(tag)"
        // A /30 in the shared address space (100.64.0.0/10) that no address or route here uses.
        let used = Run.run("/usr/sbin/ip", ["-4", "-o", "addr"]).stdout + Run.run("/usr/sbin/ip", ["-4", "route"]).stdout
        var prefix = ""
        for _ in 0..<50 {
            let candidate = "100.\(64 + Int.random(in: 0..<64)).\(Int.random(in: 0...255))."
            if !used.contains(" \(candidate)") { prefix = candidate; break }
        }
        guard !prefix.isEmpty else { throw TestFailure("no free /30 in 100.64.0.0/10 for the uplink") }
        let base = 4 * Int.random(in: 0..<64)
        hostAddress = "\(prefix)\(base + 1)"
        namespaceAddress = "\(prefix)\(base + 2)"
        let steps: [[String]] = [
            ["link", "add", hostInterface, "type", "veth", "peer", "name", inside, "netns", netns.name],
            ["addr", "add", "\(hostAddress)/30", "dev", hostInterface],
            ["link", "set", hostInterface, "up"],
            ["-n", netns.name, "addr", "add", "\(namespaceAddress)/30", "dev", inside],
            ["-n", netns.name, "link", "set", inside, "up"],
        ]
        for s in steps {
            let r = Run.run("/usr/sbin/ip", s)
            guard r.status == 0 else {
                _ = Run.run("/usr/sbin/ip", ["link", "delete", hostInterface])
                throw TestFailure("ip \(s.joined(separator: " ")): \(r.stderr)")
            }
        }
    }

    deinit { _ = Run.run("/usr/sbin/ip", ["link", "delete", hostInterface]) }
}

/// A forwarding HTTP proxy (a python3 child) on `address:port` in the machine's namespace: it
/// fetches absolute-URI requests itself and logs each as `client method url status`, so a test
/// sees who asked for what. Killed by pid on deinit.
final class ForwardingProxy: @unchecked Sendable {
    // Immutable after init.
    let url: String
    private let dir: String
    private let process: Process

    struct Request: Equatable {
        let client: String
        let method: String
        let url: String
        let status: String
    }

    init(address: String, port: Int = 3128) throws {
        dir = try TempDir.make("proxy")
        url = "http://\(address):\(port)"
        try Self.script.write(toFile: "\(dir)/proxy.py", atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["\(dir)/proxy.py", address, String(port), "\(dir)/requests.log"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        for _ in 0..<100 {
            // Not a proxy request: answered 502 without leaving the machine, and not logged below.
            if Run.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "--max-time", "2", "\(url)/ready"]).status == 0 { return }
            guard process.isRunning else { throw TestFailure("the proxy exited at start (is \(address):\(port) taken?)") }
            usleep(100_000)
        }
        throw TestFailure("the proxy did not answer on \(url) within 10s")
    }

    deinit {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// The proxied requests so far, oldest first.
    var requests: [Request] {
        let text = (try? String(contentsOfFile: "\(dir)/requests.log", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ", maxSplits: 3).map(String.init)
            guard f.count == 4, f[2] != "/ready" else { return nil }
            return Request(client: f[0], method: f[1], url: f[2], status: f[3])
        }
    }

    static let script = #"""
    import http.client, http.server, socketserver, sys, urllib.parse

    address, port, log = sys.argv[1], int(sys.argv[2]), open(sys.argv[3], "a", buffering=1)
    HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authorization", "te", "trailers", "transfer-encoding", "upgrade"}

    class Proxy(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def forward(self):
            url = urllib.parse.urlsplit(self.path)
            status = "502"
            try:
                if url.scheme != "http" or not url.hostname:
                    raise ValueError("not an absolute http URL: " + self.path)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
                body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                upstream = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=60)
                upstream.request(self.command, (url.path or "/") + ("?" + url.query if url.query else ""), body=body or None, headers=headers)
                r = upstream.getresponse()
                data = r.read()
                upstream.close()
                status = str(r.status)
                self.send_response(r.status, r.reason)
                for k, v in r.getheaders():
                    if k.lower() not in HOP and k.lower() != "content-length":
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
            except Exception as e:
                status = "502-upstream-unreachable:" + type(e).__name__
                msg = ("proxy: %s: %s\n" % (self.path, e)).encode()
                self.send_response(502)
                self.send_header("Content-Length", str(len(msg)))
                self.end_headers()
                self.wfile.write(msg)
            finally:
                log.write("%s %s %s %s\n" % (self.client_address[0], self.command, self.path, status))

        do_GET = do_HEAD = do_POST = forward

        def log_message(self, *args):
            pass

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True

    Server((address, port), Proxy).serve_forever()
    """#
}
