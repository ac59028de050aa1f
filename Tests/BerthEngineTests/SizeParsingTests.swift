import Testing

@testable import BerthEngine

/// Sizes from flags and Dockerfiles (`--tmpfs size=`, `RUN --mount=type=tmpfs,size=`, log and
/// shm sizes): Docker's units, and values that do not fit refused instead of trapping berthd.
struct SizeParsingTests {
    @Test func unitsAreBinary() throws {
        #expect(try Engine.parseSize("512k", option: "size") == 512 << 10)
        #expect(try Engine.parseSize("1.5m", option: "size") == 3 << 19)
        #expect(try Engine.parseSize("2g", option: "size") == 2 << 30)
        #expect(try Engine.parseSize("100", option: "size") == 100)
    }

    @Test func valuesThatDoNotFitAreRefused() {
        for bad in ["infk", "nanm", "1e19b", "1e300g", "99999999999999999999", "-1m", "0", "lots"] {
            #expect(throws: EngineError.self, "\(bad)") { try Engine.parseSize(bad, option: "size") }
        }
    }
}
