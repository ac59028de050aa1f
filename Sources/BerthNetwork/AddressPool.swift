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
    /// Where addresses not asked for come from (`--ip-range`); the subnet when nil.
    public let range: IPv4Subnet?
    /// Addresses never given (`--aux-address`).
    public let reserved: Set<IPv4Address>
    private var taken: Set<IPv4Address> = []
    private var last: UInt32

    public init(subnet: IPv4Subnet, gateway: IPv4Address, range: IPv4Subnet? = nil, reserved: Set<IPv4Address> = []) {
        self.subnet = subnet
        self.gateway = gateway
        self.range = range
        self.reserved = reserved
        last = range.map { $0.network.value &- 1 } ?? gateway.value
    }

    public var allocated: Set<IPv4Address> { taken }

    /// `wanted` (`--ip`) when it is free, else the next free host address.
    public mutating func allocate(_ wanted: IPv4Address? = nil) throws(NetworkError) -> IPv4Address {
        if let wanted {
            guard subnet.isHost(wanted), wanted != gateway else {
                throw NetworkError(.invalid, "no configured subnet contains IP address \(wanted) (the network has \(subnet), gateway \(gateway))")
            }
            guard !reserved.contains(wanted), taken.insert(wanted).inserted else {
                throw NetworkError(.conflict, "Address already in use: \(wanted) is taken on \(subnet)")
            }
            return wanted
        }
        let from = range ?? subnet
        let size = UInt64(1) << UInt64(32 - from.prefixLength)
        var candidate = last
        for _ in 0..<size {
            candidate = candidate &+ 1
            if !from.contains(IPv4Address(candidate)) { candidate = from.network.value }
            let a = IPv4Address(candidate)
            if subnet.isHost(a), a != gateway, !reserved.contains(a), !taken.contains(a) {
                taken.insert(a)
                last = candidate
                return a
            }
        }
        throw NetworkError(.unavailable, "no free addresses left in \(from): remove containers from this network or give it a larger \(range == nil ? "subnet" : "--ip-range")")
    }

    /// Marks an address recorded before a restart as taken (true if it was free).
    @discardableResult
    public mutating func claim(_ a: IPv4Address) -> Bool { taken.insert(a).inserted }

    public mutating func release(_ a: IPv4Address) { taken.remove(a) }
}
