/// One container interface on a bridge: the veth pair's two names, the address it holds and
/// the bridge it hangs off.
public struct Interface: Sendable, Codable, Equatable {
    /// Inside the container: `eth0`, `eth1`, …
    public var name: String
    /// The host end, on the bridge.
    public var hostName: String
    public var bridge: String
    public var address: IPv4Address
    public var subnet: IPv4Subnet
    public var gateway: IPv4Address
    public var mtu: Int
    /// Whether the container's default route goes through this interface.
    public var defaultRoute: Bool
    /// `--mac-address`; nil: Docker's `02:42:<address>`.
    public var macAddress: MACAddress?

    public init(name: String, hostName: String, bridge: String, address: IPv4Address, subnet: IPv4Subnet,
                gateway: IPv4Address, mtu: Int, defaultRoute: Bool) {
        self.name = name
        self.hostName = hostName
        self.bridge = bridge
        self.address = address
        self.subnet = subnet
        self.gateway = gateway
        self.mtu = mtu
        self.defaultRoute = defaultRoute
    }

    public var mac: MACAddress { macAddress ?? MACAddress(container: address) }

    /// Plugs the interface in: the veth pair (host end on the bridge, peer inside the
    /// namespace), the address, the link up, the default route. `inside` is a netlink socket
    /// in the namespace. Undone (the veth deleted) when a step fails.
    public func plug(into ns: NetworkNamespace, inside: RouteSocket, host: RouteSocket) throws(NetworkError) {
        guard let bridgeIndex = try host.linkIndex(bridge) else {
            throw NetworkError(.system, "bridge \(bridge) is missing: restart berthd to recreate it")
        }
        let nsfd = try ns.open()
        defer { close(nsfd) }
        try host.createVeth(hostName: hostName, bridge: bridgeIndex, peerName: name, netnsFD: nsfd, mac: mac, mtu: mtu)
        do throws(NetworkError) {
            guard let index = try inside.linkIndex(name) else { throw NetworkError(.system, "\(name) did not appear in the container") }
            try inside.addAddress(address, subnet: subnet, index: index, "give \(name) the address \(address)/\(subnet.prefixLength)")
            try inside.setLink(index: index, up: true, "bring \(name) up")
            if defaultRoute { try inside.addDefaultRoute(via: gateway, index: index) }
        } catch {
            try? host.deleteLink(hostName)
            throw error
        }
    }

    /// Deletes the pair (from the host end, so the container's namespace need not be entered).
    public func unplug(host: RouteSocket) throws(NetworkError) { try host.deleteLink(hostName) }
}

import Glibc
