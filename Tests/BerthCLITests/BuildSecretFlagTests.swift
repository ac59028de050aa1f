import Foundation
import Testing
@testable import BerthCLI

/// `berth build --secret`: the specs Docker's buildx takes, turned into berth's
/// `X-Berth-Build-Secrets` header (URL-safe base64 JSON of id → base64 value).
@Suite struct BuildSecretFlagTests {
    /// The header decoded back to id → value.
    static func decode(_ header: String) throws -> [String: String] {
        var b64 = header.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        let data = try #require(Data(base64Encoded: b64))
        let obj = try #require(try JSONSerialization.jsonObject(with: data) as? [String: String])
        return try obj.mapValues { String(decoding: try #require(Data(base64Encoded: $0)), as: UTF8.self) }
    }

    @Test func filesAndVariablesBecomeTheHeader() throws {
        let path = NSTemporaryDirectory() + "berth-secret-\(UUID().uuidString).txt"
        FileManager.default.createFile(atPath: path, contents: Data("from-file\n??>>".utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        setenv("BERTH_TEST_SECRET_VAR", "from-env", 1)
        defer { unsetenv("BERTH_TEST_SECRET_VAR") }
        #expect(try Build.secretsHeader([]) == nil)
        let header = try #require(try Build.secretsHeader([
            "id=a,src=\(path)", "id=b,source=\(path)", "id=c,env=BERTH_TEST_SECRET_VAR",
            "type=env,id=BERTH_TEST_SECRET_VAR", "src=\(path)",
        ]))
        #expect(!header.contains("+") && !header.contains("/"), "URL-safe: \(header)")
        let base = URL(fileURLWithPath: path).lastPathComponent
        #expect(try Self.decode(header) == [
            "a": "from-file\n??>>", "b": "from-file\n??>>", "c": "from-env",
            "BERTH_TEST_SECRET_VAR": "from-env", base: "from-file\n??>>",
        ])
    }

    @Test func badSpecsNameTheProblem() throws {
        for (spec, message) in [
            ("id=x,colour=red", "unexpected key colour"),
            ("id=x,type=ssh", "type must be file or env"),
            ("justtext", "expected key=value"),
            ("id=x,src=/nonexistent/berth-secret", "cannot read /nonexistent/berth-secret"),
            ("id=x,env=BERTH_TEST_UNSET_VARIABLE", "BERTH_TEST_UNSET_VARIABLE is not set"),
            ("id=BERTH_TEST_UNSET_VARIABLE", "give its source"),
        ] {
            #expect(throws: CLIError.self, "\(spec)") { try Build.secretsHeader([spec]) }
            do { _ = try Build.secretsHeader([spec]) } catch { #expect("\(error)".contains(message), "\(spec): \(error)") }
        }
        setenv("BERTH_TEST_BIG_SECRET", String(repeating: "x", count: Build.maxSecretBytes + 1), 1)
        defer { unsetenv("BERTH_TEST_BIG_SECRET") }
        do {
            _ = try Build.secretsHeader(["id=big,env=BERTH_TEST_BIG_SECRET"])
            Issue.record("a secret over the limit is sent")
        } catch { #expect("\(error)".contains("KiB"), "\(error)") }
    }
}
