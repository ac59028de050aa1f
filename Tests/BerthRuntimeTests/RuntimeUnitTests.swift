import Glibc
import Testing
@testable import BerthRuntime

struct CapabilitySetTests {
    @Test func dockerDefaultIsTheKnownMask() throws {
        #expect(CapabilitySet.dockerDefault.mask == 0xa80425fb)
        #expect(try CapabilitySet(names: CapabilitySet.dockerDefaultNames) == .dockerDefault)
    }

    @Test(arguments: [("CAP_SYS_ADMIN", 21), ("sys_admin", 21), ("CAP_CHOWN", 0), ("CAP_CHECKPOINT_RESTORE", 40)])
    func namesMapToKernelNumbers(name: String, number: Int) {
        #expect(CapabilitySet.number(of: name) == number)
    }

    @Test func unknownNamesAreRejected() {
        #expect(throws: RuntimeError.self) { try CapabilitySet(names: ["CAP_FLY"]) }
    }
}

struct MountOptionsTests {
    @Test func dockerWordsBecomeFlagsDataAndFollowUps() {
        let o = MountOptions(["ro", "nosuid", "nodev", "rprivate", "size=64m", "mode=1777", "z"])
        #expect(o.readOnly)
        #expect(o.flags == UInt(MS_NOSUID | MS_NODEV))
        #expect(o.dataString == "size=64m,mode=1777")
        #expect(o.propagation == UInt(MS_PRIVATE | MS_REC))
        #expect(o.recursive)
    }

    @Test func plainBindIsNotRecursiveAndLaterWordsWin() {
        let o = MountOptions(["bind", "ro", "rw", "noexec", "exec"])
        #expect(!o.recursive && !o.readOnly && o.flags == 0 && o.dataString == nil)
    }
}

struct EncodingTests {
    @Test(arguments: [
        ("hi\n", "\"hi\\n\""),
        ("<a & b>", "\"\\u003ca \\u0026 b\\u003e\""),
        ("tab\there \"q\" \\", "\"tab\\there \\\"q\\\" \\\\\""),
        ("\u{1b}[0m\r", "\"\\u001b[0m\\r\""),
        ("é\u{2028}\u{2029}€", "\"é\\u2028\\u2029€\""),
    ])
    func logStringsAreEscapedLikeGo(input: String, json: String) {
        var out: [UInt8] = []
        JSONString.append(input, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == json)
    }

    @Test func invalidUTF8BecomesTheReplacementCharacter() {
        var out: [UInt8] = []
        JSONString.append(String(decoding: [0x61, 0xFF, 0x62], as: UTF8.self), to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "\"a\u{FFFD}b\"")
    }

    @Test func framesRoundTrip() {
        let bytes = StreamFrame.encode(stream: 1, Array("out".utf8)) + StreamFrame.encode(stream: 2, [UInt8](repeating: 7, count: 70000))
        let frames = StreamFrame.decode(bytes)
        #expect(frames.count == 2)
        #expect(frames[0].stream == 1 && frames[0].payload == Array("out".utf8))
        #expect(frames[1].stream == 2 && frames[1].payload.count == 70000)
        #expect(Array(bytes[8 + 3 ..< 8 + 3 + 8]) == [2, 0, 0, 0, 0, 1, 0x11, 0x70])
    }

    @Test func timestampsHaveNineFractionalDigits() {
        #expect(Timestamp(seconds: 0, nanoseconds: 5).rfc3339Nano == "1970-01-01T00:00:00.000000005Z")
        #expect(Timestamp(seconds: 1_795_000_000, nanoseconds: 447_123_456).rfc3339Nano == "2026-11-18T11:06:40.447123456Z")
    }

    @Test func startFailuresRoundTripThroughTheErrorPipe() {
        let failure = StartFailure(exitCode: 127, message: "exec: \"x y\": executable file not found in $PATH")
        #expect(StartFailure(wire: failure.wireFormat) == failure)
        #expect(StartFailure(wire: []) == nil)
    }
}

struct ShimLogicTests {
    @Test(arguments: [(Int32(3 << 8), Int32(3)), (9, 137), (15, 143), (0, 0)])
    func waitStatusBecomesDockersExitCode(status: Int32, code: Int32) {
        #expect(Shim.exitCode(fromWaitStatus: status) == code)
    }

    @Test(arguments: [("abc123", true), ("e-1_x.y", true), ("../x", false), (".hidden", false), ("", false), ("a/b", false)])
    func execIdsAreSafeFileNames(id: String, valid: Bool) {
        #expect(Shim.isValidExecID(id) == valid)
    }

    @Test func pathComponentsCannotClimbAboveTheRoot() {
        #expect(RootDirectory.components("/../../etc/./hosts") == ["etc", "hosts"])
        #expect(RootDirectory.components("a//b/../c/") == ["a", "c"])
    }
}
