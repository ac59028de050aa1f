import Testing
@testable import BerthDockerfile

/// Arbitrary input must give a Dockerfile or a DockerfileError, never a crash or a hang.
@Suite struct ParserRobustnessTests {
    /// A small deterministic generator (SplitMix64), so a failure is reproducible from its seed.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
    }

    static let fragments = [
        "FROM ", "from ", "RUN ", "COPY ", "ADD ", "ENV ", "ARG ", "LABEL ", "ONBUILD ", "HEALTHCHECK ", "SHELL ", "CMD ",
        "ENTRYPOINT ", "EXPOSE ", "VOLUME ", "USER ", "WORKDIR ", "STOPSIGNAL ", "MAINTAINER ", "AS ", "NONE ",
        "--mount=", "type=cache,", "target=/x", "--from=", "--chown=", "--link", "--network=", "--platform=", "--interval=",
        "<<EOF", "<<-'E'", "EOF", "\tE", "\"", "'", "\\", "`", "$", "${", "}", ":-", ":?", "[", "]", "[\"a\", \"b\"]",
        "=", "a=b", " ", "\t", "\n", "\r\n", "# escape=`\n", "# comment\n", "\u{FEFF}", "é", "\u{0}", "😀", "--", "-",
    ]

    @Test(arguments: 0..<8)
    func randomFragmentsNeverCrash(_ seed: Int) {
        var generator = Generator(state: UInt64(seed) &* 7919)
        var parsed = 0
        for _ in 0..<400 {
            var text = generator.next() % 2 == 0 ? "FROM a\n" : ""
            for _ in 0..<Int(generator.next() % 40) { text += generator.pick(Self.fragments) }
            if (try? Dockerfile.parse(text)) != nil { parsed += 1 }
            _ = try? VariableExpander(variables: ["a": "b"]).expandWords(text)
            _ = DockerIgnore(text).isExcluded("a/b/c")
        }
        // Both outcomes occur: the generator reaches valid and invalid files.
        #expect(parsed > 0 && parsed < 400)
    }

    @Test(arguments: 0..<4)
    func randomBytesNeverCrash(_ seed: Int) {
        var generator = Generator(state: UInt64(seed) &+ 0xDF)
        let alphabet = Array("FROM RUN COPY <<EOF --=\\`$\"'[]{}#:\n\t\r ".utf8) + [0xC3, 0xA9, 0xFF, 0x00, 0xF0, 0x9F]
        for _ in 0..<200 {
            let bytes = (0..<Int(generator.next() % 200)).map { _ in generator.pick(alphabet) }
            let text = String(decoding: bytes, as: UTF8.self)
            for input in ["FROM a\n" + text, text] {
                do { _ = try Dockerfile.parse(input) } catch {
                    // Every parse error says where it is.
                    #expect(error.location != nil, "\(error)")
                }
            }
            _ = try? VariableExpander(variables: [:], escape: "`").expand(text)
            _ = DockerIgnore(text).mayReinclude(under: "a")
        }
    }

    @Test func pathologicalInputs() {
        let inputs = [
            "FROM a\nRUN " + String(repeating: "\\\n", count: 5_000) + "x",
            "FROM a\nRUN " + String(repeating: "[", count: 20_000),
            "FROM a\nCMD " + String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000),
            "FROM a\nRUN " + String(repeating: "<<A ", count: 2_000),
            "FROM a\nENV " + String(repeating: "\"", count: 10_001),
            "FROM a\nONBUILD " + String(repeating: "ONBUILD ", count: 1_000) + "RUN x",
            String(repeating: "ARG a=b\n", count: 2_000) + "FROM a",
            "FROM a\nRUN --mount=" + String(repeating: "\"", count: 10_001) + " x",
            "FROM a\nHEALTHCHECK --interval=" + String(repeating: "9", count: 400) + "h CMD x",
        ]
        for input in inputs {
            _ = try? Dockerfile.parse(input)
        }
        #expect(throws: DockerfileError.self) { try Dockerfile.parse(inputs[5]) }
        #expect((try? Dockerfile.parse(inputs[6]))?.globalArgs.count == 2_000)
    }
}
