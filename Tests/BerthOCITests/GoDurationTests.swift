import BerthOCI
import Testing

/// Go's duration syntax, as Docker's `--health-*` flags take it and its messages print it.
struct GoDurationTests {
    @Test(arguments: [
        ("0", Int64(0)), ("1s", 1_000_000_000), ("500ms", 500_000_000), ("1.5s", 1_500_000_000), ("1m30s", 90_000_000_000),
        ("2h", 7_200_000_000_000), ("10us", 10_000), ("10µs", 10_000), ("7ns", 7), ("-3s", -3_000_000_000), ("+1m", 60_000_000_000),
    ])
    func parsesGoSyntax(text: String, ns: Int64) throws {
        #expect(try GoDuration.parse(text) == ns)
    }

    @Test(arguments: ["", "5", "1x", "s", "1.s5", "--1s", "5 s"])
    func refusesWhatGoRefuses(text: String) {
        #expect(throws: OCIError.self) { try GoDuration.parse(text) }
    }

    @Test(arguments: [
        (Int64(0), "0s"), (300_000_000, "300ms"), (1_000_000_000, "1s"), (1_500_000_000, "1.5s"), (60_000_000_000, "1m0s"),
        (90_000_000_000, "1m30s"), (3_600_000_000_000, "1h0m0s"), (1_500, "1.5µs"), (999, "999ns"), (-2_000_000_000, "-2s"),
    ])
    func formatsLikeGo(ns: Int64, text: String) {
        #expect(GoDuration.format(ns) == text)
    }
}
