@testable import BerthCLI
import Testing

@Suite struct PublishFlagTests {
    @Test(arguments: [
        ("80", [("80/tcp", "", "")]),
        ("8080:80", [("80/tcp", "", "8080")]),
        ("127.0.0.1:8080:80/udp", [("80/udp", "127.0.0.1", "8080")]),
        ("127.0.0.1::80", [("80/tcp", "127.0.0.1", "")]),
        ("8000-8001:80-81", [("80/tcp", "", "8000"), ("81/tcp", "", "8001")]),
        ("8000-8010:80", [("80/tcp", "", "8000-8010")]),
        ("[::1]:8080:80", [("80/tcp", "::1", "8080")]),
    ])
    func dockersPublishGrammarGivesKeysAndBindings(spec: String, expected: [(String, String, String)]) throws {
        let got = try PublishFlag.parse(spec).map { ($0.key, $0.binding.hostIP, $0.binding.hostPort) }
        #expect(got.count == expected.count)
        for (g, e) in zip(got, expected) { #expect(g == e, "\(spec)") }
    }

    @Test(arguments: ["", "80/icmp", "8000-8002:80-81", "0:80", "70000", "a:b:c:d", "8080:"])
    func malformedSpecsAreRefused(spec: String) {
        #expect(throws: (any Error).self) { try PublishFlag.parse(spec) }
    }
}
