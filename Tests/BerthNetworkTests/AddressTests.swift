import BerthNetwork
import Testing

@Suite struct AddressTests {
    @Test(arguments: [
        ("172.29.0.0/16", "172.29.0.0", 16, "172.29.255.255", "172.29.0.1"),
        ("10.77.0.0/24", "10.77.0.0", 24, "10.77.0.255", "10.77.0.1"),
        ("192.168.16.0/20", "192.168.16.0", 20, "192.168.31.255", "192.168.16.1"),
    ])
    func aSubnetKnowsItsNetworkBroadcastAndGateway(text: String, network: String, prefix: Int, broadcast: String, first: String) throws {
        let s = try #require(IPv4Subnet(text))
        #expect(s.network.description == network)
        #expect(s.prefixLength == prefix)
        #expect(s.broadcast.description == broadcast)
        #expect(s.firstHost.description == first)
        #expect(s.description == text)
    }

    @Test(arguments: ["172.29.0.1/16", "172.29.0.0", "172.29.0.0/33", "256.0.0.0/8", "1.2.3/24", "a.b.c.d/8", "172.29.0.0/"])
    func malformedSubnetsAndSubnetsWithHostBitsAreRefused(text: String) {
        #expect(IPv4Subnet(text) == nil)
    }

    @Test func subnetsOverlapWhenEitherContainsTheOther() throws {
        let big = try #require(IPv4Subnet("172.16.0.0/12")), small = try #require(IPv4Subnet("172.29.0.0/16"))
        let other = try #require(IPv4Subnet("172.30.0.0/16"))
        #expect(big.overlaps(small) && small.overlaps(big))
        #expect(!small.overlaps(other))
    }

    @Test func aContainerMACIsDockersPrefixFollowedByItsAddress() throws {
        let ip = try #require(IPv4Address("172.29.0.2"))
        #expect(MACAddress(container: ip).description == "02:42:ac:1d:00:02")
        #expect(ip.bytes == [172, 29, 0, 2])
    }

    @Test func addressesAreHandedOutInTurnSkippingTheGatewayAndTakenOnes() throws {
        var pool = AddressPool(subnet: try #require(IPv4Subnet("10.0.0.0/29")), gateway: try #require(IPv4Address("10.0.0.1")))
        #expect(try pool.allocate().description == "10.0.0.2")
        #expect(try pool.allocate().description == "10.0.0.3")
        pool.release(try #require(IPv4Address("10.0.0.2")))
        pool.claim(try #require(IPv4Address("10.0.0.5")))
        // After the last one given, not the lowest free: a freed address is not reused at once.
        #expect(try pool.allocate().description == "10.0.0.4")
        #expect(try pool.allocate().description == "10.0.0.6")
        #expect(try pool.allocate().description == "10.0.0.2")
        #expect(throws: NetworkError.self) { try pool.allocate() }
    }

    @Test func aRequestedAddressMustBeFreeAndAHostOfTheSubnet() throws {
        var pool = AddressPool(subnet: try #require(IPv4Subnet("10.0.0.0/24")), gateway: try #require(IPv4Address("10.0.0.1")))
        #expect(try pool.allocate(IPv4Address("10.0.0.50")).description == "10.0.0.50")
        for bad in ["10.0.0.50", "10.0.0.1", "10.0.0.0", "10.0.0.255", "10.0.1.2"] {
            #expect(throws: NetworkError.self, "\(bad)") { try pool.allocate(IPv4Address(bad)) }
        }
    }

    @Test func anIPRangeBoundsTheAddressesGivenAndAuxAddressesAreNeverGiven() throws {
        let aux = try #require(IPv4Address("10.0.0.9"))
        var pool = AddressPool(subnet: try #require(IPv4Subnet("10.0.0.0/24")), gateway: try #require(IPv4Address("10.0.0.1")),
                               range: try #require(IPv4Subnet("10.0.0.8/30")), reserved: [aux])
        #expect(try pool.allocate().description == "10.0.0.8")
        #expect(try pool.allocate().description == "10.0.0.10", "10.0.0.9 is reserved")
        #expect(try pool.allocate().description == "10.0.0.11")
        #expect(throws: NetworkError.self, "the range is full") { try pool.allocate() }
        #expect(try pool.allocate(IPv4Address("10.0.0.50")).description == "10.0.0.50", "--ip may be outside the range")
        #expect(throws: NetworkError.self) { try pool.allocate(aux) }
    }
}
