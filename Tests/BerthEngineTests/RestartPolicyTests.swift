@testable import BerthEngine
import Testing

/// Docker's restart-manager rules, value by value (moby's restartmanager and
/// ValidateRestartPolicy tables).
struct RestartPolicyTests {
    @Test(arguments: [
        // policy, max, exit code, restarts so far, manually stopped, restarts?
        ("no", 0, Int32(1), 0, false, false),
        ("", 0, Int32(1), 0, false, false),
        ("always", 0, Int32(0), 5, false, true),
        ("always", 0, Int32(137), 0, true, true),
        ("unless-stopped", 0, Int32(0), 0, false, true),
        ("unless-stopped", 0, Int32(0), 0, true, false),
        ("on-failure", 0, Int32(0), 0, false, false),
        ("on-failure", 0, Int32(3), 100, false, true),
        ("on-failure", 2, Int32(3), 1, false, true),
        ("on-failure", 2, Int32(3), 2, false, false),
        ("on-failure", 2, Int32(3), 0, true, true),
    ])
    func restartDecisionFollowsDocker(name: String, max: Int, exit: Int32, count: Int, stopped: Bool, expected: Bool) {
        let policy = DockerHostConfig.RestartPolicy(name, maximumRetryCount: max)
        #expect(policy.shouldRestart(exitCode: exit, restartCount: count, manuallyStopped: stopped) == expected)
    }

    @Test(arguments: [
        ("always", 0, nil),
        ("", 123, nil),
        ("on-failure", 5, nil),
        ("always", 2, "invalid restart policy: maximum retry count can only be used with 'on-failure'"),
        ("unless-stopped", -1, "invalid restart policy: maximum retry count can only be used with 'on-failure' and cannot be negative"),
        ("on-failure", -1, "invalid restart policy: maximum retry count cannot be negative"),
        ("sometimes", 0, "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'"),
    ] as [(String, Int, String?)])
    func validationUsesDockersMessages(name: String, max: Int, message: String?) {
        let policy = DockerHostConfig.RestartPolicy(name, maximumRetryCount: max)
        do {
            try policy.validate()
            #expect(message == nil)
        } catch {
            #expect(error.message == message)
        }
    }

    @Test func backoffDoublesFrom100msToAMinuteAndResetsAfterALongRun() async {
        let restarts = ContainerRestarts()
        var delays: [Duration] = []
        for _ in 0..<12 { delays.append(await restarts.prepare("c", ranFor: 1)?.delay ?? .zero) }
        #expect(delays.prefix(4) == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800)])
        #expect(delays.last == .seconds(60))
        #expect(await restarts.prepare("c", ranFor: 10)?.delay == .milliseconds(100), "a 10 s run starts over")
        #expect(await restarts.isRestarting("c"))
        #expect(await restarts.cancel("c"))
        #expect(!(await restarts.isRestarting("c")), "the pending restart is dropped")
        #expect(await restarts.prepare("c", ranFor: 1) == nil, "a user stop ends restarts")
        await restarts.reset("c")
        #expect(await restarts.prepare("c", ranFor: 1)?.delay == .milliseconds(100), "until the next user start")
    }
}
