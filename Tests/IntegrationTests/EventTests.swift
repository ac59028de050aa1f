import Foundation
import Synchronization
import Testing

/// `GET /events` and `berth events`: what happened to containers and images, replayed from
/// `--since` and streamed live, as the docker CLI and docker-py read it.
@Suite(.serialized) struct EventTests {
    @Test func aContainersLifeIsReplayedInOrderWithDockersAttributes() async throws {
        let d = try await offPool { try Fixtures.daemonWithBusybox() }
        let since = String(Date().timeIntervalSince1970 - 1)
        #expect(await d.berth("run", "--name", "short", "-l", "team=ops", "bb", "sh", "-c", "exit 3").status == 3)
        #expect(await d.berth("rename", "short", "brief").status == 0)
        #expect(await d.berth("rm", "brief").status == 0)
        let until = String(Date().timeIntervalSince1970 + 1)
        let r = await d.berth("events", "--since", since, "--until", until, "--filter", "type=container",
                              "--format", "{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.team}} {{.Actor.Attributes.exitCode}}")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.lines == ["create short ops <no value>", "attach short ops <no value>", "start short ops <no value>",
                            "die short ops 3", "rename brief ops <no value>", "destroy brief ops <no value>"], "\(r.stdout)")
        let pretty = await d.berth("events", "--since", since, "--until", until, "--filter", "event=die")
        #expect(pretty.lines.count == 1)
        #expect(pretty.stdout.contains(" container die "), "\(pretty.stdout)")
        #expect(pretty.stdout.hasSuffix(" (exitCode=3, image=bb, name=short, team=ops)\n"), "\(pretty.stdout)")
        let docker = await d.docker("events", "--since", since, "--until", until, "--filter", "container=short", "--filter", "event=die",
                                    "--format", "{{.Status}} {{.From}} {{.Actor.Attributes.exitCode}}")
        #expect(docker.stdout == "die bb 3\n", "\(docker.stderr)")
    }

    @Test func imageEventsAndEventsAsTheyHappen() async throws {
        let d = try await offPool { try Fixtures.daemonWithBusybox() }
        // A subscriber that reads two matching events as they come, then leaves.
        let watcher = """
        import subprocess, sys
        p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, text=True)
        print(p.stdout.readline().strip()); print(p.stdout.readline().strip(), flush=True)
        p.kill()
        """
        let host = d.host
        let done = Flag()
        let live = Task {
            let r = await offPool { Run.run("/usr/bin/python3", ["-c", watcher, Binaries.berth, "events", "--filter", "type=image", "--format", "{{.Action}} {{.Actor.Attributes.name}}"],
                                            env: ["BERTH_HOST": host]) }
            done.set()
            return r
        }
        // Until the watcher is subscribed, its events may be missed: tag again until it has seen two.
        var n = 0
        while n < 100, !done.isSet {
            n += 1
            await d.berth("tag", "bb", "bb:t\(n)")
            try await Task.sleep(for: .milliseconds(200))
        }
        let lines = await live.value.lines
        #expect(lines.count == 2 && lines.allSatisfy { $0.hasPrefix("tag bb:t") }, "\(lines)")
        let since = String(Date().timeIntervalSince1970)
        #expect(await d.berth("rmi", "bb:t1").status == 0)
        let r = await d.berth("events", "--since", since, "--until", String(Date().timeIntervalSince1970 + 1), "--format", "{{.Type}} {{.Action}}")
        #expect(r.stdout == "image untag\n", "\(r.stdout)")
        let bad = await d.berth("events", "--filter", "colour=red", "--until", "0")
        #expect(bad.status != 0 && bad.stderr.contains("invalid filter 'colour'"), "\(bad.stderr)")
    }

    @Test func healthStatusAndDockerPyReadTheStream() async throws {
        let d = try await offPool { try Fixtures.daemonWithBusybox() }
        let since = Int(Date().timeIntervalSince1970) - 1
        #expect(await d.berth("run", "-d", "--name", "hc", "--health-cmd", "true", "--health-interval", "100ms", "bb", "sleep", "1000").status == 0)
        #expect(await eventually(20) { await d.berth("inspect", "-f", "{{.State.Health.Status}}", "hc").stdout == "healthy\n" })
        let script = """
        import docker, sys, time
        c = docker.DockerClient(base_url=sys.argv[1])
        for e in c.events(decode=True, since=int(sys.argv[2]), until=int(time.time()) + 1, filters={"event": ["health_status"]}):
            print(e["Type"], e["Action"], e["Actor"]["Attributes"]["name"], e["id"] == e["Actor"]["ID"], e["timeNano"] // 10**9 == e["time"])
        """
        let r = await Run.run("/usr/bin/python3", ["-c", script, d.host, String(since)])
        #expect(r.stdout == "container health_status: healthy hc True True\n", "\(r.stderr)")
        await d.berth("rm", "-f", "hc")
    }
}

/// Set once, read from another task.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}
