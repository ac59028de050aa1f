import Testing
@testable import BerthCLI

/// `berth cp`'s reading of its arguments and its last line, as docker/cli's.
@Suite struct CpArgumentTests {
    @Test(arguments: [
        ("c1:/tmp/x", "c1", "/tmp/x"), ("/abs:with/colon", nil, "/abs:with/colon"), ("./rel:colon", nil, "./rel:colon"),
        ("plain", nil, "plain"), ("c1:", "c1", ""), ("-", nil, "-"),
    ])
    func containerAndPathAreSplitAtTheFirstColon(_ arg: String, _ container: String?, _ path: String) {
        let split = Cp.split(arg)
        #expect(split.container == container && split.path == path)
    }

    @Test(arguments: [(Int64(2048), "Successfully copied 2.05kB to /x\n"), (512, "Successfully copied 512B to /x\n"),
                      (10_240, "Successfully copied 10.2kB to /x\n"), (3_500_000, "Successfully copied 3.5MB to /x\n")])
    func theSummaryUsesDockersUnits(_ bytes: Int64, _ line: String) {
        #expect(Cp.summary(bytes, to: "/x") == line)
    }
}
