import Foundation
import Testing
@testable import BerthRuntime

extension ShimTests {
    @Suite struct AttachAndExec {
        @Test func attachCarriesStdinAndStreamsOutputFrames() throws {
            let c = try ContainerFixture(["sh", "-c", "cat; echo done >&2"]) {
                $0.process.openStdin = true
                $0.process.stdinOnce = true
            }
            _ = try c.start()
            let attach = try c.connect()
            let reply = try attach.send(.attach(stdin: true, stdout: true, stderr: true))
            #expect(reply.ok)
            try attach.write(Array("hello\nworld\n".utf8))
            attach.closeWrite()
            let frames = StreamFrame.decode(try attach.readToEnd())
            let stdout = frames.filter { $0.stream == 1 }.flatMap(\.payload)
            let stderr = frames.filter { $0.stream == 2 }.flatMap(\.payload)
            #expect(String(decoding: stdout, as: UTF8.self) == "hello\nworld\n")
            #expect(String(decoding: stderr, as: UTF8.self) == "done\n")
            #expect(try c.waitForExit().exitCode == 0)
            #expect(try c.stdout() == "hello\nworld\n")
        }

        @Test func attachToATerminalIsRawAndResizeApplies() throws {
            let c = try ContainerFixture(["sh"]) {
                $0.process.terminal = true
                $0.process.openStdin = true
                $0.process.consoleSize = [24, 80]
            }
            _ = try c.start()
            let attach = try c.connect()
            #expect(try attach.send(.attach(stdin: true, stdout: true, stderr: true)).ok)
            #expect(try ShimConnection.request(.resize(height: 33, width: 99), socketPath: c.socketPath).ok)
            try attach.write(Array("stty size; exit 4\n".utf8))
            let output = String(decoding: try attach.readToEnd(), as: UTF8.self)
            #expect(output.contains("33 99\r\n"))
            #expect(try c.waitForExit().exitCode == 4)
        }

        @Test func execRunsInTheContainerAndRecordsItsExitCode() throws {
            let c = try ContainerFixture(["sleep", "30"])
            _ = try c.start()
            var process = c.spec.process
            process.args = ["sh", "-c", "echo out $$ $(hostname); ls /proc/self/fd | tr '\\n' ' ' >&2; exit 5"]
            let exec = try c.connect()
            let reply = try exec.send(.exec(id: "e1", process: process))
            #expect(reply.ok && reply.pid ?? 0 > 0)
            let frames = StreamFrame.decode(try exec.readToEnd())
            let stdout = String(decoding: frames.filter { $0.stream == 1 }.flatMap(\.payload), as: UTF8.self)
            let stderr = String(decoding: frames.filter { $0.stream == 2 }.flatMap(\.payload), as: UTF8.self)
            #expect(stdout.hasPrefix("out ") && stdout.hasSuffix(" berthhost\n"))
            #expect(stdout != "out 1 berthhost\n")
            #expect(stderr == "0 1 2 3 ")
            let record = try c.bundle.loadExecState("e1")
            #expect(record == ExecState(pid: reply.pid ?? 0, running: false, exitCode: 5))
            // Exec output is the exec's, not the container log's.
            #expect(try c.logEntries().isEmpty)
            _ = try ShimConnection.request(.signal(9), socketPath: c.socketPath)
            try c.waitForExit()
        }

        @Test func execStdinAndUserAndCwd() throws {
            let c = try ContainerFixture(["sleep", "30"])
            _ = try c.start()
            var process = c.spec.process
            process.args = ["sh", "-c", "id -u; pwd; cat"]
            process.user = "nobody"
            process.cwd = "/made/by/exec"
            process.openStdin = true
            let exec = try c.connect()
            #expect(try exec.send(.exec(id: "e2", process: process)).ok)
            try exec.write(Array("piped\n".utf8))
            exec.closeWrite()
            let frames = StreamFrame.decode(try exec.readToEnd())
            let stdout = String(decoding: frames.filter { $0.stream == 1 }.flatMap(\.payload), as: UTF8.self)
            #expect(stdout == "65534\n/made/by/exec\npiped\n")
            #expect(try c.bundle.loadExecState("e2").exitCode == 0)
            _ = try ShimConnection.request(.signal(9), socketPath: c.socketPath)
            try c.waitForExit()
        }

        @Test func execOfAMissingBinaryFailsWith127() throws {
            let c = try ContainerFixture(["sleep", "30"])
            _ = try c.start()
            var process = c.spec.process
            process.args = ["nope"]
            let reply = try ShimConnection.request(.exec(id: "e3", process: process), socketPath: c.socketPath)
            #expect(!reply.ok)
            #expect(reply.error == "exec: \"nope\": executable file not found in $PATH")
            #expect(try c.bundle.loadExecState("e3") == ExecState(pid: 0, running: false, exitCode: 127))
            _ = try ShimConnection.request(.signal(9), socketPath: c.socketPath)
            try c.waitForExit()
        }

        @Test func execWithATerminal() throws {
            let c = try ContainerFixture(["sleep", "30"])
            _ = try c.start()
            var process = c.spec.process
            process.args = ["sh", "-c", "tty; stty size"]
            process.terminal = true
            process.consoleSize = [12, 34]
            let exec = try c.connect()
            #expect(try exec.send(.exec(id: "t1", process: process)).ok)
            let output = String(decoding: try exec.readToEnd(), as: UTF8.self)
            #expect(output.hasPrefix("/dev/pts/"))
            #expect(output.hasSuffix("12 34\r\n"))
            _ = try ShimConnection.request(.signal(9), socketPath: c.socketPath)
            try c.waitForExit()
        }

        @Test func resizeExecChangesTheExecsTerminal() throws {
            let c = try ContainerFixture(["sleep", "30"])
            _ = try c.start()
            var process = c.spec.process
            process.args = ["sh"]
            process.terminal = true
            process.openStdin = true
            let exec = try c.connect()
            #expect(try exec.send(.exec(id: "t2", process: process)).ok)
            let resize = ShimRequest.resizeExec(id: "t2", height: 50, width: 60)
            #expect(try ShimConnection.request(resize, socketPath: c.socketPath).ok)
            try exec.write(Array("stty size; exit 6\n".utf8))
            let output = String(decoding: try exec.readToEnd(), as: UTF8.self)
            #expect(output.contains("50 60\r\n"))
            #expect(try c.bundle.loadExecState("t2").exitCode == 6)
            _ = try ShimConnection.request(.signal(9), socketPath: c.socketPath)
            try c.waitForExit()
        }

        @Test func badRequestsGetAnErrorReply() throws {
            let c = try ContainerFixture(["sleep", "30"])
            _ = try c.start()
            let raw = try c.connect()
            try raw.write(Array("{\"bogus\":{}}\n".utf8))
            let line = String(decoding: try raw.readToEnd(), as: UTF8.self)
            #expect(line.contains("\"ok\":false"))
            let reply = try ShimConnection.request(.exec(id: "../x", process: c.spec.process), socketPath: c.socketPath)
            #expect(!reply.ok)
            #expect(try !ShimConnection.request(.resize(height: 1, width: 1), socketPath: c.socketPath).ok)
            _ = try ShimConnection.request(.signal(9), socketPath: c.socketPath)
            try c.waitForExit()
        }
    }
}
