import Foundation
import Testing
@testable import BerthRuntime

extension ShimTests {
    @Suite struct Lifecycle {
        @Test func echoToStdoutAndStderrLandsInTheJSONLogWithItsStream() throws {
            let c = try ContainerFixture(["sh", "-c", "echo out; echo err >&2"])
            let (report, state, log) = try c.run()
            #expect(report.pid ?? 0 > 0)
            #expect(state.exitCode == 0)
            #expect(log.map(\.log).sorted() == ["err\n", "out\n"])
            #expect(log.first { $0.log == "out\n" }?.stream == "stdout")
            #expect(log.first { $0.log == "err\n" }?.stream == "stderr")
            // RFC 3339, UTC, nine fractional digits.
            #expect(log.allSatisfy { $0.time.count == 30 && $0.time.hasSuffix("Z") })
        }

        @Test func exitCodeAndTimesAreRecorded() throws {
            let c = try ContainerFixture(["sh", "-c", "exit 3"])
            let (report, state, _) = try c.run()
            #expect(report.pid ?? 0 > 0 && report.error == nil && report.exitCode == nil)
            #expect(state.status == .exited)
            #expect(state.exitCode == 3)
            #expect(state.startedAt != nil && state.finishedAt != nil)
            #expect(state.shimPid > 0)
            #expect(!FileManager.default.fileExists(atPath: c.socketPath))
        }

        @Test func runningStateHasThePidFromTheReport() throws {
            let c = try ContainerFixture(["sleep", "30"])
            let report = try c.start()
            let state = try c.bundle.loadState()
            #expect(state.status == .running)
            #expect(state.pid == report.pid)
            let reply = try ShimConnection.request(.state, socketPath: c.socketPath)
            #expect(reply.state?.pid == report.pid)
            _ = try ShimConnection.request(.signal(9), socketPath: c.socketPath)
            #expect(try c.waitForExit().exitCode == 137)
        }

        @Test(arguments: [
            (["nope"], Int32(127), "exec: \"nope\": executable file not found in $PATH"),
            (["/nope"], 127, "exec: \"/nope\": stat /nope: no such file or directory"),
            (["/etc/passwd"], 126, "exec: \"/etc/passwd\": permission denied"),
            (["/etc"], 126, "exec: \"/etc\": is a directory"),
        ])
        func startFailuresUseDockersExitCodesAndMessages(args: [String], code: Int32, message: String) throws {
            let c = try ContainerFixture(args)
            let (report, state, _) = try c.run()
            #expect(report.pid == nil)
            #expect(report.exitCode == code)
            #expect(report.error == message)
            #expect(state.status == .exited && state.exitCode == code && state.error == message)
        }

        @Test func unknownUserFailsWithDockersMessage() throws {
            let c = try ContainerFixture(["id"]) { $0.process.user = "bob" }
            let (report, _, _) = try c.run()
            #expect(report.exitCode == 125)
            #expect(report.error == "unable to find user bob: no matching entries in passwd file")
        }

        @Test func signalStopsASleepingContainer() throws {
            let c = try ContainerFixture(["sleep", "100"])
            _ = try c.start()
            let reply = try ShimConnection.request(.signal(9), socketPath: c.socketPath)
            #expect(reply.ok)
            let state = try c.waitForExit()
            #expect(state.exitCode == 137)
        }

        @Test func sigtermToTheShimIsForwardedToTheContainer() throws {
            let c = try ContainerFixture(["sh", "-c", "trap 'exit 7' TERM; while true; do sleep 0.05; done"])
            _ = try c.start()
            usleep(300_000)
            c.shim?.signal(SIGTERM)
            #expect(try c.waitForExit().exitCode == 7)
        }

        @Test func tinyInitRunsTheProcessAsItsChildAndForwardsSignals() throws {
            let c = try ContainerFixture(["sh", "-c", "echo $$; exit 3"]) { $0.initProcess = true }
            let (_, state, _) = try c.run()
            #expect(try c.stdout() == "2\n")
            #expect(state.exitCode == 3)

            // Without --init, SIGTERM to a PID 1 without a handler is ignored; with it, sleep dies.
            let s = try ContainerFixture(["sleep", "100"]) { $0.initProcess = true }
            _ = try s.start()
            usleep(200_000)
            #expect(try ShimConnection.request(.signal(15), socketPath: s.socketPath).ok)
            #expect(try s.waitForExit().exitCode == 143)
        }

        @Test func tinyInitStillReportsStartFailures() throws {
            let c = try ContainerFixture(["nope"]) { $0.initProcess = true }
            let (report, _, _) = try c.run()
            #expect(report.exitCode == 127)
        }

        @Test func logRotatesAtMaxSizeKeepingMaxFiles() throws {
            let c = try ContainerFixture(["sh", "-c", "for i in $(seq 1 60); do echo line-$i; done"]) {
                $0.log.maxSize = 400
                $0.log.maxFiles = 3
            }
            _ = try c.run()
            let fm = FileManager.default
            let path = c.spec.log.path
            #expect(fm.fileExists(atPath: path + ".1") && fm.fileExists(atPath: path + ".2"))
            #expect(!fm.fileExists(atPath: path + ".3"))
            for file in [path, path + ".1", path + ".2"] {
                let size = (try fm.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
                #expect(size < 400 + 120)
            }
            // The newest lines survive, in order, across the kept files.
            let kept = try [path + ".2", path + ".1", path].flatMap { try c.logEntries($0) }.map(\.log)
            #expect(kept.last == "line-60\n")
            let numbers = kept.compactMap { Int($0.dropFirst(5).dropLast()) }
            #expect(numbers == numbers.sorted() && numbers.count < 60)
        }

        @Test func heavyOutputIsLoggedCompletelyAndInOrder() throws {
            let c = try ContainerFixture(["sh", "-c", "seq 1 200000; seq 1 1000 >&2"])
            let start = Date()
            let (_, state, log) = try c.run()
            #expect(state.exitCode == 0)
            #expect(Date().timeIntervalSince(start) < 15)
            let out = log.filter { $0.stream == "stdout" }.map(\.log)
            #expect(out.count == 200_000)
            #expect(out.first == "1\n" && out.last == "200000\n")
            #expect(log.filter { $0.stream == "stderr" }.count == 1000)
        }

        @Test func partialLinesAreFlushedAt16KiBAndAtExit() throws {
            let c = try ContainerFixture(["sh", "-c", "head -c 20000 /dev/zero | tr '\\0' a; printf tail"])
            let (_, _, log) = try c.run()
            #expect(log.map(\.log.count) == [16384, 20000 - 16384 + 4])
            #expect(log.last?.log.hasSuffix("tail") == true)
        }
    }
}
