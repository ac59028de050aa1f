import Crypto
import Foundation

/// A content address: `algorithm:hex`, as in the OCI image spec. Only sha256 and sha512 are accepted.
public struct Digest: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    public let algorithm: String
    public let encoded: String

    public init(algorithm: String, encoded: String) throws(OCIError) {
        let expected: Int
        switch algorithm {
        case "sha256": expected = 64
        case "sha512": expected = 128
        default:
            throw OCIError(.invalid, "unsupported digest algorithm \"\(algorithm)\" (use sha256 or sha512)")
        }
        guard encoded.utf8.count == expected,
            encoded.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else {
            throw OCIError(.invalid, "invalid checksum digest format: \(algorithm):\(encoded) (expected \(expected) lowercase hex digits)")
        }
        self.algorithm = algorithm
        self.encoded = encoded
    }

    /// For values computed here, which are valid by construction.
    init(verified algorithm: String, _ encoded: String) {
        self.algorithm = algorithm
        self.encoded = encoded
    }

    /// Parses `sha256:<64 hex>`.
    public init(parsing string: String) throws(OCIError) {
        guard let colon = string.firstIndex(of: ":") else {
            throw OCIError(.invalid, "invalid digest \"\(string)\": expected algorithm:hex, like sha256:<64 hex digits>")
        }
        try self.init(algorithm: String(string[..<colon]), encoded: String(string[string.index(after: colon)...]))
    }

    /// The sha256 digest of `data`.
    public static func sha256(of data: some DataProtocol) -> Digest {
        var hasher = DigestHasher()
        hasher.update(data)
        return hasher.finalize()
    }

    public var description: String { "\(algorithm):\(encoded)" }
    /// The first 12 hex digits, as Docker shows image ids.
    public var short: String { String(encoded.prefix(12)) }

    public static func < (a: Digest, b: Digest) -> Bool { a.description < b.description }

    public init(from decoder: Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        self = try Digest(parsing: s)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// Incremental sha256, for hashing streams as they pass.
public struct DigestHasher {
    private var hash = SHA256()
    public private(set) var count: Int64 = 0

    public init() {}

    public mutating func update(_ data: some DataProtocol) {
        hash.update(data: data)
        count += Int64(data.count)
    }

    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        hash.update(bufferPointer: buffer)
        count += Int64(buffer.count)
    }

    public func finalize() -> Digest {
        let hex = hash.finalize().map { String(format: "%02x", $0) }.joined()
        return Digest(verified: "sha256", hex)
    }
}
