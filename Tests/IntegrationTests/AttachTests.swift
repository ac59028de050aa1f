import Foundation
import Glibc
import Testing

/// `attach` and the detach keys: on a terminal, the key sequence ends the attach and the
/// container (or exec) keeps running — through berth's CLI, the docker CLI, and the raw API.
@Suite(.serialized) struct AttachTests {
    static func running(_ d: Daemon, _ name: String) async -> String {
        await d.berth("inspect", "-f", "{{.State.Status}}", name).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func runItDetachesWithCtrlPCtrlQAndAttachReattachesWithItsOwnKeys() async throws {
        let d = try await offPool { try Fixtures.daemonWithBusybox() }
        let env = ["BERTH_HOST": d.host]
        let run = await Pty.run([Binaries.berth, "run", "-it", "--name", "shell", "bb", "sh"], env: env,
                                [.expect("# "), .type("echo mark$((40+2))\n"), .expect("mark42"), .keys([16, 17])])
        #expect(run.exitCode == 0, "\(run.output)")
        #expect(await Self.running(d, "shell") == "running")

        let attach = await Pty.run([Binaries.berth, "attach", "--detach-keys", "ctrl-a,x", "shell"], env: env,
                                   [.type("echo again$((1+1))\n"), .expect("again2"), .keys([16, 17]), .type("echo still$((2+2))\n"),
                                    .expect("still4"), .keys([1, UInt8(ascii: "x")])])
        #expect(attach.exitCode == 1, "\(attach.output)")
        #expect(attach.output.contains("read escape sequence"))
        #expect(await Self.running(d, "shell") == "running", "ctrl-p ctrl-q went to the shell; ctrl-a x detached")

        let exit = await Pty.run([Binaries.berth, "attach", "shell"], env: env, [.type("exit 3\n")])
        #expect(exit.exitCode == 3, "the container's exit code: \(exit.output)")
        #expect(await Self.running(d, "shell") == "exited")

        let start = await Pty.run([Binaries.berth, "start", "-ai", "--detach-keys", "ctrl-e", "shell"], env: env,
                                  [.expect("# "), .type("echo back$((3+4))\n"), .expect("back7"), .keys([5])])
        #expect(start.exitCode == 0, "\(start.output)")
        #expect(await Self.running(d, "shell") == "running")

        let bad = await d.berth("run", "-it", "--detach-keys", "ctrl-1", "bb", "sh")
        #expect(bad.status == 125)
        #expect(bad.stderr.contains("Invalid detach keys (ctrl-1) provided"), "\(bad.stderr)")
        #expect(await d.berth("attach", "--detach-keys", "ctrl-", "shell").status == 1)
        await d.berth("rm", "-f", "shell")
        let stopped = await d.berth("attach", "shell")
        #expect(stopped.status != 0)
    }

    @Test func attachWithoutATerminalProxiesSignalsAndReturnsTheExitCode() async throws {
        let d = try await offPool { try Fixtures.daemonWithBusybox() }
        let loop = "trap 'echo got; exit 5' USR1; while true; do echo tick; sleep 0.2; done"
        #expect(await d.berth("run", "-d", "--name", "trap", "bb", "sh", "-c", loop).status == 0)
        let script = """
        import os, signal, subprocess, sys
        p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE)
        assert p.stdout.readline() == b"tick\\n"
        p.send_signal(signal.SIGUSR1)
        rest = p.stdout.read()
        print(p.wait(), b"got" in rest)
        """
        let r = await offPool { Run.run("/usr/bin/python3", ["-c", script, Binaries.berth, "attach", "trap"], env: ["BERTH_HOST": d.host]) }
        #expect(r.stdout == "5 True\n", "\(r.stderr)")
        #expect(await Self.running(d, "trap") == "exited")
        await d.berth("rm", "-f", "trap")
    }

    @Test func berthdStopsOnSIGTERMEvenWithAWaitWhoseClientIsGone() async throws {
        let d = try await offPool { try Fixtures.daemonWithBusybox() }
        #expect(await d.berth("run", "-d", "--name", "idle", "bb", "sleep", "1000").status == 0)
        // `attach` holds a wait open until the container exits; its client is killed first.
        let attach = Process()
        attach.executableURL = URL(fileURLWithPath: Binaries.berth)
        attach.arguments = ["attach", "--no-stdin", "idle"]
        attach.environment = ["BERTH_HOST": d.host]
        attach.standardOutput = FileHandle.nullDevice
        try attach.run()
        try await Task.sleep(for: .milliseconds(500))
        kill(attach.processIdentifier, SIGKILL)
        attach.waitUntilExit()
        let berthd = try #require(d.process)
        berthd.terminate()
        #expect(await eventually(20) { !berthd.isRunning }, "berthd exits instead of waiting for the container")
        try await offPool { try d.start() }
        #expect(await Self.running(d, "idle") == "running")
        await d.berth("rm", "-f", "idle")
    }

    @Test func theDockerCLIDetachesFromBerthd() async throws {
        let d = try await offPool { try Fixtures.daemonWithBusybox() }
        let env = ["DOCKER_HOST": d.host]
        let run = await Pty.run([Binaries.docker, "run", "-it", "--name", "dk", "bb", "sh"], env: env,
                                [.expect("# "), .type("echo mark$((40+2))\n"), .expect("mark42"), .keys([16, 17])])
        #expect(run.exitCode == 0, "\(run.output)")
        let attach = await Pty.run([Binaries.docker, "attach", "dk"], env: env,
                                   [.type("echo again$((1+1))\n"), .expect("again2"), .keys([16, 17])])
        #expect(attach.output.contains("read escape sequence"), "\(attach.output)")
        #expect(await Self.running(d, "dk") == "running")
        await d.berth("rm", "-f", "dk")
    }

    @Test func theDaemonDetachesRawAPIClientsFromAttachAndExec() async throws {
        let d = try await offPool { try Fixtures.daemonWithBusybox() }
        #expect(await d.berth("run", "-dit", "--name", "raw", "bb", "sh").status == 0)
        let script = """
        import http.client, json, socket, sys, time
        sock = sys.argv[1]
        class Conn(http.client.HTTPConnection):
            def __init__(self): super().__init__("localhost")
            def connect(self):
                self.sock = socket.socket(socket.AF_UNIX); self.sock.connect(sock)
        def call(method, path, body=None):
            c = Conn(); c.request(method, path, json.dumps(body) if body is not None else None, {"Content-Type": "application/json"})
            r = c.getresponse(); return r.status, r.read()
        def hijack(path, body=b""):
            s = socket.socket(socket.AF_UNIX); s.connect(sock)
            s.sendall(("POST %s HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: Upgrade\\r\\nUpgrade: tcp\\r\\n"
                       "Content-Type: application/json\\r\\nContent-Length: %d\\r\\n\\r\\n" % (path, len(body))).encode() + body)
            head = b""
            while b"\\r\\n\\r\\n" not in head: head += s.recv(1)
            return s, head.split(b"\\r\\n")[0].decode()
        def detach(s, typed, expect, keys):
            s.settimeout(20)
            s.sendall(typed)
            out = b""
            while expect not in out: out += s.recv(4096)
            for k in keys:
                s.sendall(bytes([k])); time.sleep(0.1)
            while True:
                data = s.recv(4096)
                if not data: return "closed"
        s, status = hijack("/containers/raw/attach?stream=1&stdin=1&stdout=1&detachKeys=ctrl-1")
        print(status)
        s, status = hijack("/containers/raw/attach?stream=1&stdin=1&stdout=1&detachKeys=ctrl-x,ctrl-y")
        print(status, detach(s, b"echo raw$((3*3))\\n", b"raw9", [0x18, 0x19]))
        print(call("POST", "/containers/raw/exec", {"Cmd": ["sh"], "Tty": True, "AttachStdin": True, "DetachKeys": "nope"})[0])
        st, body = call("POST", "/containers/raw/exec", {"Cmd": ["sh"], "Tty": True, "AttachStdin": True, "AttachStdout": True, "DetachKeys": "ctrl-e"})
        eid = json.loads(body)["Id"]
        s, status = hijack("/exec/%s/start" % eid, json.dumps({"Detach": False, "Tty": True}).encode())
        print(status, detach(s, b"echo ex$((2+5))\\n", b"ex7", [0x05]))
        info = json.loads(call("GET", "/exec/%s/json" % eid)[1])
        print(info["Running"], info["DetachKeys"] == "ctrl-e")
        """
        let r = await Run.run("/usr/bin/python3", ["-c", script, d.socket])
        #expect(r.stdout == "HTTP/1.1 400 Bad Request\nHTTP/1.1 101 UPGRADED closed\n400\nHTTP/1.1 101 UPGRADED closed\nTrue True\n", "\(r.stderr)")
        #expect(await Self.running(d, "raw") == "running")
        let shells = await d.berth("exec", "raw", "ps", "-o", "args").stdout.split(separator: "\n").filter { $0 == "sh" }
        #expect(shells.count == 2, "the container's shell and the detached exec's run on")
        await d.berth("rm", "-f", "raw")
    }
}
