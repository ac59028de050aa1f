@testable import BerthEngine
import Testing

/// `top`'s reading of `ps` output, as Docker's parsePSOutput.
struct TopParsingTests {
    @Test func keepsTheContainersRowsAndTheLastColumnsSpaces() throws {
        let output = """
        UID        PID  PPID  C STIME TTY          TIME CMD
        root         1     0  0 01:47 ?        00:00:21 /sbin/init splash
        root      4242  4240  0 03:33 ?        00:00:00 sh -c while true; do sleep 1; done
        root      4250  4242  0 03:33 ?        00:00:00 sleep 1

        """
        let list = try Engine.parsePS(output, pids: [4242, 4250])
        #expect(list.titles == ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"])
        #expect(list.processes == [
            ["root", "4242", "4240", "0", "03:33", "?", "00:00:00", "sh -c while true; do sleep 1; done"],
            ["root", "4250", "4242", "0", "03:33", "?", "00:00:00", "sleep 1"],
        ])
    }

    @Test func threadRowsFollowTheirProcess() throws {
        let output = "PID TID CMD\n10 - a\n- 11 a\n20 - b\n- 21 b\n"
        let list = try Engine.parsePS(output, pids: [10])
        #expect(list.processes == [["10", "-", "a"], ["-", "11", "a"]])
    }

    @Test func refusesOutputWithoutAPIDColumn() {
        #expect(throws: EngineError.self) { try Engine.parsePS("USER COMMAND\nroot sh\n", pids: [1]) }
    }

    @Test(arguments: ["-o pid,user=PID", "aux -o user=PIDX"])
    func refusesRenamingThePIDColumn(args: String) {
        #expect(throws: EngineError.self) { try Engine.validatePSArgs(args) }
    }

    @Test(arguments: ["-ef", "aux", "-o pid=PID,comm", "-o pid,comm"])
    func acceptsOrdinaryArguments(args: String) throws {
        try Engine.validatePSArgs(args)
    }
}
