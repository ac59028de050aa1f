import BerthNetwork
import Testing

@Suite struct DNSMessageTests {
    /// A query as `nslookup web` sends it: id 0x1234, RD, one question web./A/IN.
    static let query: [UInt8] = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x57, 0x65, 0x62, 0, 0, 1, 0, 1]

    @Test func aQueryIsReadLowerCased() throws {
        let q = try #require(DNSQuery(Self.query))
        #expect(q.id == 0x1234 && q.name == "web" && q.type == DNSQuery.typeA && q.recursionDesired)
    }

    @Test func anAnswerCarriesTheAddressesAsARecords() throws {
        let q = try #require(DNSQuery(Self.query))
        let a = q.answer([try #require(IPv4Address("10.88.0.2"))])
        #expect(Array(a[0..<2]) == [0x12, 0x34])
        #expect(a[2] & 0x80 != 0 && a[3] & 0x0F == 0, "a response, no error")
        #expect(Array(a[6..<8]) == [0, 1], "one answer")
        #expect(Array(a.suffix(4)) == [10, 88, 0, 2])
        #expect(Array(a[12..<21]) == Array(Self.query[12...]), "the question is echoed")
    }

    @Test func errorsCarryTheirCodeAndAAAAIsEmpty() throws {
        let q = try #require(DNSQuery(Self.query))
        #expect(q.answer([], rcode: DNSQuery.nxdomain)[3] & 0x0F == 3)
        var aaaa = Self.query
        aaaa[aaaa.count - 3] = 28
        let six = try #require(DNSQuery(aaaa))
        #expect(Array(six.answer([try #require(IPv4Address("10.0.0.1"))])[6..<8]) == [0, 0])
    }

    @Test func aUDPAnswerTooLargeFor512BytesIsTruncatedWithTCSet() throws {
        let q = try #require(DNSQuery(Self.query))
        let many = (1...40).compactMap { IPv4Address("10.0.0.\($0)") }
        let udp = q.answer(many, limit: DNSQuery.udpLimit)
        #expect(udp.count <= 512 && udp[2] & 0x02 != 0, "TC set: \(udp.count) bytes")
        #expect(Int(udp[6]) << 8 | Int(udp[7]) == (512 - 21) / 16, "as many records as fit")
        let tcp = q.answer(many)
        #expect(tcp[2] & 0x02 == 0 && Int(tcp[6]) << 8 | Int(tcp[7]) == 40, "over TCP all of them")
    }

    @Test func responsesAndTruncatedPacketsAreNotQueries() {
        var response = Self.query
        response[2] |= 0x80
        #expect(DNSQuery(response) == nil)
        #expect(DNSQuery(Array(Self.query.prefix(15))) == nil)
    }
}
