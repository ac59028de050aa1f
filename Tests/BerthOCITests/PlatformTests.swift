import BerthOCI
import Foundation
import Testing

struct PlatformTests {
    @Test(arguments: [("linux/amd64", "linux/amd64"), ("linux/x86_64", "linux/amd64"), ("linux/arm64", "linux/arm64"), ("linux/aarch64", "linux/arm64/v8"),
                      ("linux/arm/v7", "linux/arm/v7"), ("Linux/AMD64", "linux/amd64")])
    func platformParsesAndNormalizes(text: String, expected: String) throws {
        #expect(try Platform(parsing: text).description == expected)
    }

    @Test func malformedPlatformIsRefused() {
        #expect(throws: OCIError.self) { try Platform(parsing: "linux//amd64") }
        #expect(throws: OCIError.self) { try Platform(parsing: "a/b/c/d") }
    }

    func entry(_ p: String?, _ hexDigit: Character, type: String = MediaType.ociManifest) throws -> Descriptor {
        let d = try Digest(algorithm: "sha256", encoded: String(repeating: hexDigit, count: 64))
        return Descriptor(mediaType: type, digest: d, size: 1, platform: try p.map { try Platform(parsing: $0) })
    }

    @Test func indexPicksTheRequestedPlatformAndSkipsAttestations() throws {
        let index = Index(manifests: [
            try entry("unknown/unknown", "0"), try entry("linux/arm/v7", "1"), try entry("linux/arm64/v8", "2"), try entry("linux/amd64", "3"), try entry(nil, "4"),
        ])
        #expect(index.manifest(for: try Platform(parsing: "linux/amd64"))?.digest.encoded.first == "3")
        #expect(index.manifest(for: try Platform(parsing: "linux/arm64"))?.digest.encoded.first == "2")
        #expect(index.manifest(for: try Platform(parsing: "linux/arm/v7"))?.digest.encoded.first == "1")
        #expect(index.manifest(for: try Platform(parsing: "linux/arm/v6")) == nil)
        #expect(index.manifest(for: try Platform(parsing: "linux/s390x")) == nil)
    }
}
