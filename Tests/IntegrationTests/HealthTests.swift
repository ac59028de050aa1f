import Foundation
import Testing

/// Health checks as Docker runs them: the probe is an exec in the container, its results land
/// in `State.Health`, `ps` shows the status and filters on it.
@Suite(.serialized) struct HealthTests {
    static func health(_ d: Daemon, _ name: String) async -> String {
        await d.berth("inspect", "-f", "{{.State.Health.Status}}", name).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `State.Health` decoded from `inspect`.
    static func healthJSON(_ d: Daemon, _ name: String) async -> [String: Any] {
        let out = await d.berth("inspect", "-f", "{{json .State.Health}}", name).stdout
        return (try? JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any]) ?? [:]
    }

    @Test func aPassingProbeMakesTheContainerHealthyInInspectAndPs() async throws {
        let d = try await offPool { try Fixtures.daemonWithBusybox() }
        let run = await d.berth("run", "-d", "--name", "ok", "--health-cmd", "echo probe ran; touch /tmp/probed",
                                "--health-interval", "200ms", "bb", "sleep", "1000")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(await d.berth("run", "-d", "--name", "slow", "--health-cmd", "true", "--health-interval", "1h", "bb", "sleep", "1000").status == 0)
        #expect(await d.berth("run", "-d", "--name", "plain", "bb", "sleep", "1000").status == 0)
        #expect(await eventually(20) { await Self.health(d, "ok") == "healthy" })
        let h = await Self.healthJSON(d, "ok")
        #expect(h["FailingStreak"] as? Int == 0)
        let log = h["Log"] as? [[String: Any]] ?? []
        #expect(!log.isEmpty)
        #expect(log.first?["ExitCode"] as? Int == 0)
        #expect(log.first?["Output"] as? String == "probe ran\n")
        #expect((log.first?["Start"] as? String)?.hasPrefix("20") == true)
        // The probe ran inside the container.
        #expect(await d.berth("exec", "ok", "ls", "/tmp/probed").status == 0)
        let ps = await d.berth("ps", "--format", "{{.Names}} {{.Status}}").lines.sorted()
        #expect(ps.count == 3)
        #expect(ps[0].hasPrefix("ok Up ") && ps[0].hasSuffix(" (healthy)"), "\(ps)")
        #expect(ps[1].hasPrefix("plain Up ") && !ps[1].contains("("), "\(ps)")
        #expect(ps[2].hasPrefix("slow Up ") && ps[2].hasSuffix(" (health: starting)"), "\(ps)")
        for (filter, names) in [("healthy", "ok"), ("starting", "slow"), ("none", "plain"), ("unhealthy", "")] {
            let out = await d.berth("ps", "--filter", "health=\(filter)", "--format", "{{.Names}}").stdout
            #expect(out.trimmingCharacters(in: .whitespacesAndNewlines) == names, "health=\(filter)")
        }
        let bad = await d.berth("ps", "--filter", "health=sick")
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("Unrecognised filter value for health: sick"), "\(bad.stderr)")
        // A stopped container reads unhealthy, as in Docker.
        #expect(await d.berth("stop", "-t", "0", "ok").status == 0)
        #expect(await Self.health(d, "ok") == "unhealthy")
        await d.berth("rm", "-f", "ok", "slow", "plain")
    }

    @Test func aFailingProbeTurnsUnhealthyAfterItsRetriesWithTheOutputLogged() async throws {
        let d = try await offPool { try Fixtures.daemonWithBusybox() }
        let run = await d.berth("run", "-d", "--name", "bad", "--health-cmd", "echo failing; echo oops >&2; exit 3",
                                "--health-interval", "100ms", "--health-retries", "3", "bb", "sleep", "1000")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(await eventually(20) { await Self.health(d, "bad") == "unhealthy" })
        let h = await Self.healthJSON(d, "bad")
        #expect((h["FailingStreak"] as? Int ?? 0) >= 3)
        let log = h["Log"] as? [[String: Any]] ?? []
        #expect((3...5).contains(log.count), "Docker keeps the last 5 results: \(log.count)")
        #expect(log.allSatisfy { $0["ExitCode"] as? Int == 3 && $0["Output"] as? String == "failing\noops\n" }, "\(log)")
        #expect(await eventually(20) { (await Self.healthJSON(d, "bad")["Log"] as? [Any])?.count == 5 }, "the log stops growing at 5")
        #expect(await d.berth("ps", "--filter", "health=unhealthy", "--format", "{{.Status}}").stdout.hasSuffix(" (unhealthy)\n"))
        await d.berth("rm", "-f", "bad")
    }

    @Test func aProbePastItsTimeoutIsKilledAndCountsAsAFailure() async throws {
        let d = try await offPool { try Fixtures.daemonWithBusybox() }
        let run = await d.berth("run", "-d", "--name", "hang", "--health-cmd", "echo begun; exec sleep 77",
                                "--health-timeout", "300ms", "--health-interval", "100ms", "--health-retries", "1", "bb", "sleep", "1000")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(await eventually(20) { await Self.health(d, "hang") == "unhealthy" })
        let log = await Self.healthJSON(d, "hang")["Log"] as? [[String: Any]] ?? []
        #expect(log.first?["ExitCode"] as? Int == -1)
        #expect(log.first?["Output"] as? String == "Health check exceeded timeout (300ms): begun\n", "\(log)")
        // Killed, not left behind: after three timeouts at most the current probe runs.
        #expect(await eventually(20) { (await Self.healthJSON(d, "hang")["Log"] as? [Any])?.count ?? 0 >= 3 })
        let ps = await d.berth("exec", "hang", "ps", "-o", "args").stdout
        #expect(ps.components(separatedBy: "sleep 77").count <= 2, "\(ps)")
        await d.berth("rm", "-f", "hang")
    }

    @Test func theImageHealthcheckRunsUnlessNoHealthcheckDisablesIt() async throws {
        let d = try await offPool { try Fixtures.daemonWithBusybox() }
        let imp = await d.berth("import", "-c", "CMD [\"sleep\", \"1000\"]", "-c", "HEALTHCHECK --interval=100ms --retries=1 CMD [\"sh\", \"-c\", \"exit 1\"]",
                                Fixtures.busyboxTar, "checked")
        #expect(imp.status == 0, "\(imp.stderr)")
        #expect(await d.berth("run", "-d", "--name", "img", "checked").status == 0)
        #expect(await d.berth("run", "-d", "--name", "off", "--no-healthcheck", "checked").status == 0)
        // --health-cmd overrides the image's test and keeps its interval and retries.
        #expect(await d.berth("run", "-d", "--name", "over", "--health-cmd", "true", "checked").status == 0)
        #expect(await eventually(20) { await Self.health(d, "img") == "unhealthy" })
        #expect(await eventually(20) { await Self.health(d, "over") == "healthy" })
        #expect(await d.berth("inspect", "-f", "{{.Config.Healthcheck.Test}}", "off").stdout == "[NONE]\n")
        #expect(await d.berth("ps", "--filter", "health=none", "--format", "{{.Names}}").stdout == "off\n")
        #expect(await d.berth("inspect", "-f", "{{.Config.Healthcheck.Interval}} {{.Config.Healthcheck.Retries}}", "over").stdout == "100000000 1\n")
        let conflict = await d.berth("run", "--no-healthcheck", "--health-cmd", "true", "checked")
        #expect(conflict.status == 125)
        #expect(conflict.stderr.contains("--no-healthcheck conflicts with --health-* options"))
        let badDuration = await d.berth("create", "--health-interval", "5parsecs", "checked")
        #expect(badDuration.status == 125)
        #expect(badDuration.stderr.contains("--health-interval"), "\(badDuration.stderr)")
        await d.berth("rm", "-f", "img", "off", "over")
    }

    @Test func theMonitorResumesForContainersAdoptedAfterABerthdCrash() async throws {
        let d = try await offPool { try Fixtures.daemonWithBusybox() }
        #expect(await d.berth("run", "-d", "--name", "live", "--health-cmd", "echo x >> /tmp/probes",
                              "--health-interval", "100ms", "bb", "sleep", "1000").status == 0)
        #expect(await eventually(20) { await Self.health(d, "live") == "healthy" })
        d.kill9()
        let probes = { Int(await d.berth("exec", "live", "sh", "-c", "wc -l < /tmp/probes").stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 }
        try await offPool { try d.start() }
        let before = await probes()
        #expect(before > 0)
        #expect(await eventually(20) { await probes() > before }, "probes run again after the restart")
        #expect(await eventually(20) { await Self.health(d, "live") == "healthy" })
        await d.berth("rm", "-f", "live")
    }

    @Test func theDockerCLIReadsHealthFromBerthd() async throws {
        let d = try await offPool { try Fixtures.daemonWithBusybox() }
        let run = await d.docker("run", "-d", "--name", "dk", "--health-cmd", "exit 0", "--health-interval", "100ms", "bb", "sleep", "1000")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(await eventually(20) { await d.docker("inspect", "--format", "{{.State.Health.Status}}", "dk").stdout == "healthy\n" })
        #expect(await d.docker("ps", "--format", "{{.Status}}").stdout.hasSuffix("(healthy)\n"))
        #expect(await d.docker("ps", "--filter", "health=healthy", "--format", "{{.Names}}").stdout == "dk\n")
        await d.docker("rm", "-f", "dk")
    }
}
