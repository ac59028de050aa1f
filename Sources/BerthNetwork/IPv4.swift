/// An IPv4 address.
public struct IPv4Address: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Host-order value: 172.29.0.1 is 0xAC1D0001.
    public let value: UInt32

    public init(_ value: UInt32) { self.value = value }

    /// Dotted quad; nil when malformed.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy(\.isASCII), let n = UInt32(p), n <= 255 else { return nil }
            v = v << 8 | n
        }
        value = v
    }

    public var description: String { "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)" }

    /// Network-order bytes, as netlink wants them.
    public var bytes: [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }

    public var isLoopback: Bool { value >> 24 == 127 }
    public var isUnspecified: Bool { value == 0 }

    public static func < (a: IPv4Address, b: IPv4Address) -> Bool { a.value < b.value }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let a = IPv4Address(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an IPv4 address: \(text)"))
        }
        self = a
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// An IPv4 subnet in CIDR form (`172.29.0.0/16`).
public struct IPv4Subnet: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The network address (host bits zero).
    public let network: IPv4Address
    public let prefixLength: Int

    /// The subnet holding `address` with `prefixLength` bits of network.
    public init(_ address: IPv4Address, prefixLength: Int) {
        self.prefixLength = prefixLength
        network = IPv4Address(address.value & Self.mask(prefixLength))
    }

    /// `a.b.c.d/n`; nil when malformed or when host bits are set (Docker refuses those too).
    public init?(_ text: some StringProtocol) {
        let p = text.split(separator: "/", omittingEmptySubsequences: false)
        guard p.count == 2, let a = IPv4Address(p[0]), let n = Int(p[1]), (0...32).contains(n) else { return nil }
        guard a.value & ~Self.mask(n) == 0 else { return nil }
        self.init(a, prefixLength: n)
    }

    static func mask(_ n: Int) -> UInt32 { n == 0 ? 0 : UInt32.max << (32 - UInt32(n)) }

    public var mask: UInt32 { Self.mask(prefixLength) }
    public var broadcast: IPv4Address { IPv4Address(network.value | ~mask) }
    public var description: String { "\(network)/\(prefixLength)" }

    public func contains(_ a: IPv4Address) -> Bool { a.value & mask == network.value }

    public func overlaps(_ other: IPv4Subnet) -> Bool { contains(other.network) || other.contains(network) }

    /// The first usable host address (Docker's default gateway).
    public var firstHost: IPv4Address { IPv4Address(network.value + 1) }

    /// Whether `a` may be given to an interface: inside, not the network or broadcast address.
    public func isHost(_ a: IPv4Address) -> Bool {
        contains(a) && (prefixLength >= 31 || (a != network && a != broadcast))
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let s = IPv4Subnet(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an IPv4 subnet: \(text)"))
        }
        self = s
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// A MAC address: Docker's containers get 02:42 followed by their IPv4 address, so the address
/// is known before the interface exists and a container keeps it across restarts of its IP.
public struct MACAddress: Hashable, Sendable, Codable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init(container ip: IPv4Address) { bytes = [0x02, 0x42] + ip.bytes }

    /// `aa:bb:cc:dd:ee:ff`; nil when malformed.
    public init?(_ text: String) {
        let p = text.split(separator: ":")
        guard p.count == 6 else { return nil }
        var b: [UInt8] = []
        for x in p {
            guard x.count == 2, let v = UInt8(x, radix: 16) else { return nil }
            b.append(v)
        }
        bytes = b
    }

    public var description: String { bytes.map { String($0, radix: 16).leftPadded(2) }.joined(separator: ":") }
}

extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
