/// The little of DNS (RFC 1035) the embedded resolver needs: read a query's question, answer
/// it with A records or "no such name", or recognise that it must go upstream.
public struct DNSQuery: Sendable, Equatable {
    public let id: UInt16
    /// Lower-cased, without the trailing dot.
    public let name: String
    public let type: UInt16
    public let recursionDesired: Bool
    /// The question section as it came (echoed in the answer).
    let question: [UInt8]

    public static let typeA: UInt16 = 1, typeAAAA: UInt16 = 28

    /// Parses a standard query with one question; nil for anything else.
    public init?(_ b: [UInt8]) {
        guard b.count >= 12 else { return nil }
        let flags = UInt16(b[2]) << 8 | UInt16(b[3])
        // QR must be 0 (a query), opcode 0 (standard), exactly one question.
        guard flags & 0x8000 == 0, (flags >> 11) & 0xF == 0, b[4] == 0, b[5] == 1 else { return nil }
        var off = 12
        var labels: [String] = []
        while true {
            guard off < b.count else { return nil }
            let n = Int(b[off])
            if n == 0 { off += 1; break }
            guard n < 64, off + 1 + n <= b.count else { return nil }
            labels.append(String(decoding: b[(off + 1)..<(off + 1 + n)], as: UTF8.self).lowercased())
            off += 1 + n
        }
        guard off + 4 <= b.count else { return nil }
        id = UInt16(b[0]) << 8 | UInt16(b[1])
        name = labels.joined(separator: ".")
        type = UInt16(b[off]) << 8 | UInt16(b[off + 1])
        recursionDesired = flags & 0x0100 != 0
        question = Array(b[12..<(off + 4)])
    }

    /// Response codes: no such name, server failure (no upstream answered).
    public static let nxdomain: UInt16 = 3, servfail: UInt16 = 2

    /// The largest answer a UDP reply carries without EDNS (RFC 1035 4.2.1).
    public static let udpLimit = 512

    /// The answer: `addresses` as A records (TTL 600, as Docker's); none for AAAA (the name
    /// exists, IPv6 does not); `rcode` for errors. Past `limit` bytes (a UDP reply) the records
    /// that do not fit are left out and TC set, so the client asks again over TCP.
    public func answer(_ addresses: [IPv4Address], rcode: UInt16 = 0, limit: Int = .max) -> [UInt8] {
        var records = type == Self.typeA ? addresses : []
        let fit = max(0, (limit - 12 - question.count) / 16)
        let truncated = records.count > fit
        if truncated { records = Array(records.prefix(fit)) }
        // QR, AA, TC, RD echoed, RA, rcode.
        let flags: UInt16 = 0x8000 | 0x0400 | (truncated ? 0x0200 : 0) | (recursionDesired ? 0x0100 : 0) | 0x0080 | (rcode & 0xF)
        var out: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF), UInt8(flags >> 8), UInt8(flags & 0xFF), 0, 1,
                            UInt8(records.count >> 8), UInt8(records.count & 0xFF), 0, 0, 0, 0]
        out += question
        for a in records {
            // Name: a pointer to the question's name at offset 12.
            out += [0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0x02, 0x58, 0, 4] + a.bytes
        }
        return out
    }
}
