import Foundation
import Glibc
import Testing

/// Restart policies as Docker applies them: on exit with its backoff and counts, never after a
/// user stop, and when berthd comes back up after a reboot. The tests mostly wait, so they are
/// async and run commands off the cooperative pool.
@Suite(.serialized) struct RestartTests {
    @Test func onFailureRestartsUpToItsLimitThenStaysExitedWithItsCode() async throws {
        let d = try await offPool { try Fixtures.daemonWithBusybox() }
        let run = await d.berth("run", "-d", "--name", "flaky", "--restart", "on-failure:2", "bb", "sh", "-c", "echo ran; exit 3")
        #expect(run.status == 0, "\(run.stderr)")
        let state = { await d.berth("inspect", "-f", "{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}", "flaky").stdout }
        // Backoff 100 ms, then 200 ms: settled long before 10 s.
        #expect(await eventually(10) { await state() == "exited 2 3\n" })
        try await Task.sleep(for: .seconds(1))
        #expect(await state() == "exited 2 3\n", "no third restart")
        #expect(await d.berth("logs", "flaky").stdout == "ran\nran\nran\n", "the first run and two restarts")
        let policy = await d.berth("inspect", "-f", "{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}", "flaky")
        #expect(policy.stdout == "on-failure:2\n")
        // A user start resets the count, as in Docker.
        #expect(await d.berth("start", "flaky").status == 0)
        #expect(await eventually(10) { await state() == "exited 2 3\n" })
        #expect(await d.berth("logs", "flaky").stdout.split(separator: "\n").count == 6)
        await d.berth("rm", "-f", "flaky")
    }

    @Test func alwaysRestartsAfterASuccessfulExit() async throws {
        let d = try await offPool { try Fixtures.daemonWithBusybox() }
        #expect(await d.berth("run", "-d", "--name", "loop", "--restart", "always", "bb", "sh", "-c", "echo tick; sleep 0.2").status == 0)
        let count = { Int(await d.berth("inspect", "-f", "{{.RestartCount}}", "loop").stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 }
        #expect(await eventually(15) { await count() >= 3 })
        #expect(await d.berth("logs", "loop").stdout.hasPrefix("tick\ntick\ntick\n"))
        let status = await d.berth("inspect", "-f", "{{.State.Status}} {{.State.Running}}", "loop").stdout
        #expect(status == "running true\n" || status == "restarting true\n", "\(status)")
        #expect(await d.berth("ps", "--format", "{{.Names}}").stdout == "loop\n", "a restarting container counts as running")
        #expect(await d.berth("rm", "-f", "loop").status == 0)
        try await Task.sleep(for: .milliseconds(500))
        #expect(await d.berth("ps", "-aq").stdout.isEmpty, "removed, and not restarted behind rm's back")
    }

    @Test func aUserStopOrKillIsNotRestarted() async throws {
        let d = try await offPool { try Fixtures.daemonWithBusybox() }
        let loop = "trap 'exit 0' TERM; while true; do sleep 0.1; done"
        #expect(await d.berth("run", "-d", "--name", "svc", "--restart", "always", "bb", "sh", "-c", loop).status == 0)
        #expect(await d.berth("stop", "svc").stdout == "svc\n")
        try await Task.sleep(for: .milliseconds(1500))
        #expect(await d.berth("inspect", "-f", "{{.State.Status}} {{.RestartCount}}", "svc").stdout == "exited 0\n")
        #expect(await d.berth("ps", "-q").stdout.isEmpty)

        #expect(await d.berth("start", "svc").status == 0)
        #expect(await d.berth("kill", "svc").status == 0)
        try await Task.sleep(for: .milliseconds(1500))
        #expect(await d.berth("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}", "svc").stdout == "exited 137 0\n")

        // The process dying on its own is restarted again after a user start.
        #expect(await d.berth("start", "svc").status == 0)
        let pid = await d.berth("inspect", "-f", "{{.State.Pid}}", "svc").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        // Never `kill 0`: that would be this test run's own process group.
        try #require((Int32(pid) ?? 0) > 0, "the started container has a pid: \(pid)")
        #expect(await Run.sh("kill -KILL \(pid)").status == 0)
        #expect(await eventually(10) { await d.berth("inspect", "-f", "{{.State.Status}} {{.RestartCount}}", "svc").stdout == "running 1\n" })
        await d.berth("rm", "-f", "svc")
    }

    @Test func afterARebootAlwaysComesBackAndUnlessStoppedStoppedByTheUserStaysStopped() async throws {
        let d = try await offPool { try Fixtures.daemonWithBusybox() }
        for (name, policy) in [("alw", "always"), ("unl", "unless-stopped"), ("kept", "unless-stopped"), ("none", "no")] {
            #expect(await d.berth("run", "-d", "--name", name, "--restart", policy, "bb", "sleep", "1000").status == 0)
        }
        #expect(await d.berth("stop", "-t", "0", "unl").status == 0)
        let before = await d.berth("inspect", "-f", "{{.State.Pid}}", "alw").stdout
        let inits = try await reboot(d)
        #expect(await eventually(10) { inits.allSatisfy { !HostProcess.alive($0) } }, "berthd killed what the dead shims left running")

        let status = { (name: String) in await d.berth("inspect", "-f", "{{.State.Status}}", name).stdout }
        #expect(await eventually(10) { await status("alw") == "running\n" })
        #expect(await status("kept") == "running\n", "unless-stopped that nobody stopped runs again")
        #expect(await status("unl") == "exited\n", "unless-stopped stopped by the user stays stopped")
        #expect(await status("none") == "exited\n", "no policy: the reboot ended it")
        #expect(await d.berth("inspect", "-f", "{{.State.Pid}}", "alw").stdout != before)
        #expect(await d.berth("exec", "alw", "true").status == 0, "a fresh shim serves it")
        await d.berth("rm", "-f", "alw", "unl", "kept", "none")
    }

    @Test func rmWithARestartPolicyAndBadPoliciesAreRefused() async throws {
        let d = try await offPool { try Fixtures.daemonWithBusybox() }
        let berth = await d.berth("run", "--rm", "--restart", "always", "bb", "true")
        #expect(berth.status == 125)
        #expect(berth.stderr.contains("Conflicting options: --restart and --rm"), "\(berth.stderr)")
        let docker = await d.docker("run", "--rm", "--restart", "always", "bb", "true")
        #expect(docker.status != 0)
        #expect(docker.stderr.contains("Conflicting options: --restart and --rm"), "\(docker.stderr)")

        for (host, message) in [
            (#"{"AutoRemove":true,"RestartPolicy":{"Name":"always"}}"#, "can't create 'AutoRemove' container with restart policy"),
            (#"{"RestartPolicy":{"Name":"always","MaximumRetryCount":2}}"#, "invalid restart policy: maximum retry count can only be used with 'on-failure'"),
            (#"{"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":-1}}"#, "invalid restart policy: maximum retry count cannot be negative"),
            (#"{"RestartPolicy":{"Name":"sometimes"}}"#, "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'"),
        ] {
            let r = await Run.curl(socket: d.socket, path: "/containers/create", method: "POST",
                                   extra: ["-H", "Content-Type: application/json", "-d", #"{"Image":"bb","HostConfig":\#(host)}"#])
            #expect(r.stdout.hasPrefix("HTTP/1.1 400"), "\(r.stdout)")
            #expect(r.stdout.contains(message), "\(r.stdout)")
        }
        let bad = await d.berth("run", "-d", "--restart", "on-failure:x", "bb", "true")
        #expect(bad.stderr.contains("invalid restart policy format: maximum retry count must be an integer"), "\(bad.stderr)")
        #expect(await d.berth("ps", "-aq").stdout.isEmpty, "nothing was created")
    }

    /// A reboot as berthd sees it: berthd dies, then every shim of this daemon (killed by the pids
    /// their containers' state.json record, never by name), and berthd starts again. Returns the
    /// pids of the containers' inits, which berthd must clean up.
    func reboot(_ d: Daemon) async throws -> [Int32] {
        d.kill9()
        var shims: [Int32] = [], inits: [Int32] = []
        for id in d.entries("containers") {
            guard let data = FileManager.default.contents(atPath: "\(d.dataRoot)/containers/\(id)/state.json"),
                  let s = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                  s["status"] as? String == "running",
                  let shim = (s["shimPid"] as? NSNumber)?.int32Value, let pid = (s["pid"] as? NSNumber)?.int32Value
            else { continue }
            kill(shim, SIGKILL)
            shims.append(shim)
            inits.append(pid)
        }
        #expect(shims.count == 3)
        #expect(await eventually(10) { shims.allSatisfy { !HostProcess.alive($0) } }, "the shims are gone")
        try await offPool { try d.start() }
        return inits
    }
}
