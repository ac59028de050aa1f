import BerthAPI
import Testing

/// Docker's detach key specs (moby/term's ToBytes) and finding them in typed input.
struct DetachKeysTests {
    @Test(arguments: [
        ("", [16, 17] as [UInt8]), ("ctrl-p,ctrl-q", [16, 17]), ("ctrl-a,x", [1, 120]), ("ctrl-@", [0]), ("ctrl-\\", [28]),
        ("ctrl-_,DEL", [31, 127]), ("a,b,c", [97, 98, 99]),
    ])
    func parsesDockersSpecs(spec: String, bytes: [UInt8]) throws {
        #expect(try DetachKeys(parsing: spec).bytes == bytes)
    }

    @Test(arguments: ["ctrl-1", "ctrl-A", "ab", "ctrl-p,,ctrl-q", "ctrl-", ","])
    func refusesUnknownKeysNamingThem(spec: String) {
        #expect(throws: DetachKeysError.self) { try DetachKeys(parsing: spec) }
        #expect((try? DetachKeys(parsing: spec)) == nil)
    }

    @Test func theScannerHoldsAPrefixUntilTheNextByteDecides() {
        var s = DetachScanner(.standard)
        #expect(s.scan([104, 105, 16]) == ([104, 105], false))
        #expect(s.scan([97]) == ([16, 97], false), "ctrl-p then another key reaches the process")
        #expect(s.scan([16]) == ([], false))
        #expect(s.scan([17, 98]) == ([], true), "what follows the sequence is dropped")
    }

    @Test func aRepeatedFirstKeyStillDetaches() {
        var s = DetachScanner(DetachKeys(bytes: [1, 120]))
        #expect(s.scan([1, 1, 120]) == ([1], true))
    }
}
