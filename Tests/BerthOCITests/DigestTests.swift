import Foundation
import Testing
@testable import BerthOCI

@Suite struct DigestTests {
    static let valid: [String] = [
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "sha256:" + String(repeating: "0", count: 64),
        "sha256:" + String(repeating: "0123456789abcdef", count: 4),
        "sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
        "sha512:" + String(repeating: "f", count: 128),
    ]

    @Test(arguments: valid)
    func wellFormedDigestsParseAndPrintBack(_ s: String) throws {
        let d = try Digest(parsing: s)
        #expect(d.description == s)
        let colon = s.firstIndex(of: ":")!
        #expect(d.algorithm == String(s[..<colon]))
        #expect(d.encoded == String(s[s.index(after: colon)...]))
        #expect(try Digest(algorithm: d.algorithm, encoded: d.encoded) == d)
    }

    static let invalid: [String] = [
        "",
        "sha256",
        "sha256:",
        ":e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        // uppercase hex
        "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852B855",
        // uppercase algorithm
        "SHA256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        // wrong lengths
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8550",
        "sha256:" + String(repeating: "f", count: 128),
        "sha512:" + String(repeating: "f", count: 64),
        "sha512:" + String(repeating: "f", count: 127),
        // not hex
        "sha256:" + String(repeating: "g", count: 64),
        "sha256:" + String(repeating: "f", count: 63) + " ",
        " sha256:" + String(repeating: "f", count: 64),
        "sha256:" + String(repeating: "f", count: 64) + "\n",
        "sha256:" + String(repeating: "f", count: 32) + ":" + String(repeating: "f", count: 31),
        // unknown or unsupported algorithms
        "md5:d41d8cd98f00b204e9800998ecf8427e",
        "sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709",
        "sha384:" + String(repeating: "f", count: 96),
        "sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564",
        "blake3:" + String(repeating: "f", count: 64),
    ]

    @Test(arguments: invalid)
    func malformedDigestsAreRejected(_ s: String) {
        let error = #expect(throws: OCIError.self) { try Digest(parsing: s) }
        #expect(error?.code == .invalid)
    }

    @Test func unknownAlgorithmErrorNamesTheAlgorithm() {
        let error = #expect(throws: OCIError.self) {
            try Digest(algorithm: "md5", encoded: "d41d8cd98f00b204e9800998ecf8427e")
        }
        #expect(error?.message.contains("md5") == true)
    }

    @Test func wrongLengthErrorSaysHowManyDigitsAreExpected() {
        let error = #expect(throws: OCIError.self) { try Digest(parsing: "sha512:abc") }
        #expect(error?.message.contains("128") == true)
    }

    static let knownSHA256: [(String, String)] = [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("hello world", "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"),
        ("The quick brown fox jumps over the lazy dog", "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ]

    @Test(arguments: knownSHA256)
    func sha256OfKnownStrings(_ input: String, _ hex: String) throws {
        let d = Digest.sha256(of: Array(input.utf8))
        #expect(d.algorithm == "sha256")
        #expect(d.encoded == hex)
        #expect(d == (try Digest(parsing: "sha256:\(hex)")))
        #expect(Digest.sha256(of: Data(input.utf8)) == d)
    }

    @Test func sha256OfOneMillionAs() {
        // FIPS 180-2 test vector.
        let d = Digest.sha256(of: [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
        #expect(d.encoded == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test(arguments: [0, 1, 63, 64, 65, 1000, 100_000])
    func incrementalHashingEqualsOneShot(_ size: Int) {
        var gen = SystemRandomNumberGenerator()
        let bytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &gen) }
        let oneShot = Digest.sha256(of: bytes)

        for chunk in [1, 7, 64, 4096] {
            var hasher = DigestHasher()
            var i = 0
            while i < bytes.count {
                let end = min(i + chunk, bytes.count)
                if (i / chunk).isMultiple(of: 2) {
                    hasher.update(bytes[i..<end])
                } else {
                    bytes[i..<end].withUnsafeBytes { hasher.update($0) }
                }
                i = end
            }
            #expect(hasher.count == Int64(size))
            #expect(hasher.finalize() == oneShot, "chunk size \(chunk)")
        }
    }

    @Test func hasherCountsBytesAndCanFinalizeTwice() {
        var hasher = DigestHasher()
        #expect(hasher.count == 0)
        #expect(hasher.finalize().encoded == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        hasher.update(Array("ab".utf8))
        hasher.update(Data("c".utf8))
        #expect(hasher.count == 3)
        let first = hasher.finalize()
        #expect(first.encoded == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hasher.finalize() == first)
    }

    @Test func codableRoundTripUsesThePlainString() throws {
        let d = try Digest(parsing: "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let json = try JSONEncoder().encode([d])
        #expect(String(decoding: json, as: UTF8.self) == #"["sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"]"#)
        #expect(try JSONDecoder().decode([Digest].self, from: json) == [d])
    }

    @Test(arguments: [
        #"["sha256:abc"]"#,
        #"["SHA256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"]"#,
        #"[42]"#,
        #"[null]"#,
    ])
    func decodingRejectsInvalidDigests(_ json: String) {
        #expect(throws: (any Error).self) { try JSONDecoder().decode([Digest].self, from: Data(json.utf8)) }
    }

    @Test func shortIsTheFirstTwelveHexDigits() {
        let d = Digest.sha256(of: [UInt8]())
        #expect(d.short == "e3b0c44298fc")
    }

    @Test func orderingFollowsTheStringForm() throws {
        let a = try Digest(parsing: "sha256:" + String(repeating: "0", count: 64))
        let b = try Digest(parsing: "sha256:" + String(repeating: "1", count: 64))
        let c = try Digest(parsing: "sha512:" + String(repeating: "0", count: 128))
        #expect([c, b, a].sorted() == [a, b, c])
        #expect(a < b && !(b < a) && !(a < a))
    }

    @Test func equalDigestsHashAlike() throws {
        let s = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        let set: Set<Digest> = [try Digest(parsing: s), Digest.sha256(of: Array("abc".utf8))]
        #expect(set.count == 1)
    }
}
