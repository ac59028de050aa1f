/// IP address management for one subnet: which host addresses are taken. Addresses are handed
/// out in turn after the last one given (as Docker's IPAM does), so a freed address is not
/// reused at once while peers may still cache its old MAC.
///
/// The pool itself is not persisted: a container's addresses are recorded with the container,
/// and berthd rebuilds its pools from those records when it starts.
public struct AddressPool: Sendable {
    public let subnet: IPv4Subnet
    /// The gateway (the bridge's own address): never given to a container.
    public let gateway: IPv4Address
    private var taken: Set<IPv4Address> = []
    private var last: UInt32

    public init(subnet: IPv4Subnet, gateway: IPv4Address) {
        self.subnet = subnet
        self.gateway = gateway
        last = gateway.value
    }

    public var allocated: Set<IPv4Address> { taken }

    /// `wanted` (`--ip`) when it is free, else the next free host address.
    public mutating func allocate(_ wanted: IPv4Address? = nil) throws(NetworkError) -> IPv4Address {
        if let wanted {
            guard subnet.isHost(wanted), wanted != gateway else {
                throw NetworkError(.invalid, "no configured subnet contains IP address \(wanted) (the network has \(subnet), gateway \(gateway))")
            }
            guard taken.insert(wanted).inserted else {
                throw NetworkError(.conflict, "Address already in use: \(wanted) is taken on \(subnet)")
            }
            return wanted
        }
        let size = UInt64(1) << UInt64(32 - subnet.prefixLength)
        var candidate = last
        for _ in 0..<size {
            candidate = candidate &+ 1
            if !subnet.contains(IPv4Address(candidate)) { candidate = subnet.network.value }
            let a = IPv4Address(candidate)
            if subnet.isHost(a), a != gateway, !taken.contains(a) {
                taken.insert(a)
                last = candidate
                return a
            }
        }
        throw NetworkError(.unavailable, "no free addresses left in \(subnet): remove containers from this network or give it a larger subnet")
    }

    /// Marks an address recorded before a restart as taken (true if it was free).
    @discardableResult
    public mutating func claim(_ a: IPv4Address) -> Bool { taken.insert(a).inserted }

    public mutating func release(_ a: IPv4Address) { taken.remove(a) }
}
