import BerthOCI
import Foundation
@testable import BerthEngine
import Testing

/// Docker's health-check rules (moby daemon/health.go and its tests), without a container.
struct HealthTests {
    static func result(_ code: Int) -> ContainerHealth.Result {
        ContainerHealth.Result(start: Date(), end: Date(), exitCode: code, output: "")
    }

    @Test func failuresCountTowardRetriesAndAPassResetsThem() {
        var h = ContainerHealth()
        #expect(h.status == .starting)
        var changed = h.record(Self.result(1), retries: 2, withinStartPeriod: false)
        #expect(!changed)
        #expect(h.failingStreak == 1 && h.status == .starting)
        changed = h.record(Self.result(1), retries: 2, withinStartPeriod: false)
        #expect(changed)
        #expect(h.status == .unhealthy && h.failingStreak == 2)
        changed = h.record(Self.result(0), retries: 2, withinStartPeriod: false)
        #expect(changed)
        #expect(h.status == .healthy && h.failingStreak == 0)
        // Healthy stays healthy until the retries run out.
        changed = h.record(Self.result(2), retries: 2, withinStartPeriod: false)
        #expect(!changed)
        #expect(h.status == .healthy && h.failingStreak == 1)
    }

    @Test func failuresInTheStartPeriodDoNotCountUntilTheFirstPass() {
        var h = ContainerHealth()
        for _ in 0..<5 { h.record(Self.result(1), retries: 1, withinStartPeriod: true) }
        #expect(h.status == .starting && h.failingStreak == 0)
        h.record(Self.result(0), retries: 1, withinStartPeriod: true)
        h.record(Self.result(1), retries: 1, withinStartPeriod: true)
        #expect(h.status == .unhealthy, "once healthy, the start period no longer shields failures")
    }

    @Test func theLogKeepsTheLastFiveResults() {
        var h = ContainerHealth()
        for code in 0..<8 { h.record(Self.result(code), retries: 3, withinStartPeriod: false) }
        #expect(h.log.map(\.exitCode) == [3, 4, 5, 6, 7])
    }

    @Test func theMonitorTokenIsNotPersisted() throws {
        var h = ContainerHealth()
        h.monitor = 42
        let decoded = try JSONDecoder().decode(ContainerHealth.self, from: JSONEncoder().encode(h))
        #expect(decoded.monitor == nil)
        #expect(String(decoding: try JSONEncoder().encode(h), as: UTF8.self).contains("\"FailingStreak\":0"))
    }

    @Test func outputIsDemultiplexedAndCutAt4096BytesWithAnEllipsis() {
        var out = ProbeOutput()
        let frame = { (stream: UInt8, text: String) -> [UInt8] in
            let b = Array(text.utf8)
            return [stream, 0, 0, 0, 0, 0, UInt8(b.count >> 8), UInt8(b.count & 0xff)] + b
        }
        let bytes = frame(1, "out\n") + frame(2, "err\n")
        // Frames split across reads are joined.
        out.append(bytes.prefix(5))
        out.append(bytes.dropFirst(5))
        #expect(out.text == "out\nerr\n")
        out.append(frame(1, String(repeating: "x", count: 5000)))
        #expect(out.text.utf8.count == 4096 + 3)
        #expect(out.text.hasSuffix("xxx..."))
    }

    @Test func probeDefaultsAreDockers() throws {
        let p = try #require(HealthProbe(ContainerConfig.Healthcheck(test: ["CMD-SHELL", "curl -f localhost"])))
        #expect(p.command == ["/bin/sh", "-c", "curl -f localhost"])
        #expect(p.interval == 30_000_000_000 && p.timeout == 30_000_000_000 && p.retries == 3)
        #expect(p.startPeriod == 0 && p.startInterval == 5_000_000_000)
        #expect(HealthProbe(ContainerConfig.Healthcheck(test: ["CMD", "true"]))?.command == ["true"])
        #expect(HealthProbe(ContainerConfig.Healthcheck(test: ["NONE"])) == nil)
        #expect(HealthProbe(ContainerConfig.Healthcheck(test: [])) == nil)
        #expect(HealthProbe(nil) == nil)
    }

    @Test func theStartIntervalAppliesOnlyWhileStartingInTheStartPeriod() throws {
        var check = ContainerConfig.Healthcheck(test: ["CMD", "true"])
        check.interval = 10_000
        check.startInterval = 1_000
        check.startPeriod = 60_000
        let p = try #require(HealthProbe(check))
        #expect(p.delay(elapsedSinceStart: 0, status: .starting) == 1_000)
        #expect(p.delay(elapsedSinceStart: 0, status: .healthy) == 10_000)
        #expect(p.delay(elapsedSinceStart: 60_000, status: .starting) == 10_000)
    }

    @Test(arguments: [
        (["CMD", "true"], Int64(0), 0, nil),
        (["NONE"], 0, 0, nil),
        ([], 0, 0, nil),
        (["CMD", "true"], 500_000, 0, "Interval in Healthcheck cannot be less than 1ms"),
        (["CMD", "true"], 0, -1, "Retries in Healthcheck cannot be negative"),
        (["CMD"], 0, 0, "Healthcheck test CMD needs a command, e.g. [\"CMD\", \"true\"]"),
        (["SHELL", "true"], 0, 0, "unknown Healthcheck test type \"SHELL\": use NONE, CMD or CMD-SHELL"),
    ] as [([String], Int64, Int, String?)])
    func validationRefusesWhatDockerRefuses(test: [String], interval: Int64, retries: Int, message: String?) {
        var check = ContainerConfig.Healthcheck(test: test)
        check.interval = interval
        check.retries = retries
        do {
            try HealthProbe.validate(check)
            #expect(message == nil)
        } catch {
            #expect(error.message == message)
        }
    }

    @Test func aUserCheckInheritsWhatItLeavesUnsetFromTheImage() {
        var image = ContainerConfig.Healthcheck(test: ["CMD-SHELL", "check"])
        image.interval = 5
        image.retries = 7
        var user = ContainerConfig.Healthcheck(test: [])
        user.interval = 9
        let merged = Engine.mergeHealthcheck(image: image, user: user)
        #expect(merged?.test == ["CMD-SHELL", "check"] && merged?.interval == 9 && merged?.retries == 7)
        #expect(Engine.mergeHealthcheck(image: image, user: ContainerConfig.Healthcheck(test: ["NONE"]))?.test == ["NONE"])
        #expect(Engine.mergeHealthcheck(image: image, user: nil) == image)
        #expect(Engine.mergeHealthcheck(image: nil, user: user) == user)
    }

    @Test(arguments: [
        ("NONE", ["NONE"], nil as Int64?, nil as Int?),
        ("CMD curl -f http://localhost/", ["CMD-SHELL", "curl -f http://localhost/"], nil, nil),
        ("--interval=5s --retries=2 CMD [\"pg_isready\", \"-q\"]", ["CMD", "pg_isready", "-q"], 5_000_000_000, 2),
        ("--start-period=1m30s cmd true", ["CMD-SHELL", "true"], nil, nil),
    ])
    func healthcheckChangesFollowTheDockerfile(args: String, test: [String], interval: Int64?, retries: Int?) throws {
        let check = try ImageChanges.healthcheck(args)
        #expect(check.test == test)
        #expect(check.interval == interval)
        #expect(check.retries == retries)
    }

    @Test(arguments: ["true", "CMD", "NONE extra", "--bogus=1 CMD true", "--interval=1x CMD true", "--timeout=10us CMD true", "--retries=-1 CMD true"])
    func badHealthcheckChangesAreRefused(args: String) {
        #expect(throws: EngineError.self) { try ImageChanges.healthcheck(args) }
    }
}
