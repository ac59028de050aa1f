import Glibc

extension RouteSocket {
    /// The index of the link named `name`, or nil when there is none.
    public func linkIndex(_ name: String) throws(NetworkError) -> Int32? {
        var m = NetlinkMessage(.getLink, flags: 0, sequence: next())
        m.linkHeader()
        m.attribute(Attr.ifName, string: name)
        var index: Int32?
        let code = try exchange(m, "look up link \(name)") { type, payload in
            // struct ifinfomsg: the index is at offset 4.
            if type == NetlinkMessage.Kind.newLink.rawValue, payload.count >= 8 {
                let b = Array(payload)
                index = Int32(bitPattern: Self.u32(b, 4))
            }
        }
        if code == ENODEV { return nil }
        guard code == 0 else { throw .sys("look up link \(name)", errno: code) }
        return index
    }

    /// Creates the Linux bridge `name` unless it exists; sets its MTU and brings it up.
    public func ensureBridge(_ name: String, mtu: Int) throws(NetworkError) -> Int32 {
        var m = NetlinkMessage(.newLink, flags: NetlinkMessage.create | NetlinkMessage.excl, sequence: next())
        m.linkHeader(flags: Attr.up, change: Attr.up)
        m.attribute(Attr.ifName, string: name)
        m.nested(Attr.ifLinkInfo) { NetlinkMessage.appendAttribute(&$0, Attr.infoKind, Array("bridge".utf8)) }
        try perform(m, "create bridge \(name)", tolerate: [EEXIST])
        guard let index = try linkIndex(name) else { throw NetworkError(.system, "bridge \(name) vanished right after it was created") }
        // Set after creation, not in it: only a change of MTU marks it as the user's, and a
        // bridge whose MTU is not falls back to 1500 when its last port leaves.
        try setLink(index: index, up: true, mtu: mtu, "bring bridge \(name) up")
        return index
    }

    /// Sets a link up (or down) and optionally its MTU.
    public func setLink(index: Int32, up: Bool, mtu: Int? = nil, _ what: String) throws(NetworkError) {
        var m = NetlinkMessage(.newLink, flags: 0, sequence: next())
        m.linkHeader(index: index, flags: up ? Attr.up : 0, change: Attr.up)
        if let mtu { m.attribute(Attr.ifMTU, u32: UInt32(mtu)) }
        try perform(m, what)
    }

    /// Creates a veth pair in one request: `hostName` here, enslaved to `bridge` and up; its peer
    /// `peerName` straight inside the namespace `netnsFD`, with `mac`, down until configured.
    public func createVeth(hostName: String, bridge: Int32, peerName: String, netnsFD: Int32, mac: MACAddress, mtu: Int) throws(NetworkError) {
        var m = NetlinkMessage(.newLink, flags: NetlinkMessage.create | NetlinkMessage.excl, sequence: next())
        m.linkHeader(flags: Attr.up, change: Attr.up)
        m.attribute(Attr.ifName, string: hostName)
        m.attribute(Attr.ifMTU, u32: UInt32(mtu))
        m.attribute(Attr.ifMaster, u32: UInt32(bitPattern: bridge))
        m.nested(Attr.ifLinkInfo) { info in
            NetlinkMessage.appendAttribute(&info, Attr.infoKind, Array("veth".utf8))
            var data: [UInt8] = []
            var peer: [UInt8] = []
            NetlinkMessage.appendLinkHeader(&peer, index: 0, flags: 0, change: 0)
            NetlinkMessage.appendAttribute(&peer, Attr.ifName, Array(peerName.utf8) + [0])
            NetlinkMessage.appendAttribute(&peer, Attr.ifMTU, NetlinkMessage.le32(UInt32(mtu)))
            NetlinkMessage.appendAttribute(&peer, Attr.ifAddress, mac.bytes)
            NetlinkMessage.appendAttribute(&peer, Attr.ifNetNSFD, NetlinkMessage.le32(UInt32(bitPattern: netnsFD)))
            NetlinkMessage.appendAttribute(&data, Attr.vethPeer, peer)
            NetlinkMessage.appendAttribute(&info, Attr.infoData, data)
        }
        try perform(m, "create veth pair \(hostName)/\(peerName)")
    }

    /// Deletes the link `name`; a missing link is no error (deleting one end of a veth takes the
    /// other with it).
    public func deleteLink(_ name: String) throws(NetworkError) {
        var m = NetlinkMessage(.delLink, flags: 0, sequence: next())
        m.linkHeader()
        m.attribute(Attr.ifName, string: name)
        try perform(m, "delete link \(name)", tolerate: [ENODEV])
    }

    /// Adds `address/prefix` to a link (an existing identical address is no error).
    public func addAddress(_ address: IPv4Address, subnet: IPv4Subnet, index: Int32, _ what: String) throws(NetworkError) {
        var m = NetlinkMessage(.newAddr, flags: NetlinkMessage.create | NetlinkMessage.excl, sequence: next())
        m.addressHeader(prefixLength: subnet.prefixLength, index: index)
        m.attribute(Attr.addrLocal, address.bytes)
        m.attribute(Attr.addrAddress, address.bytes)
        if subnet.prefixLength < 31 { m.attribute(Attr.addrBroadcast, subnet.broadcast.bytes) }
        try perform(m, what, tolerate: [EEXIST])
    }

    /// The default route through `gateway` on link `index`.
    public func addDefaultRoute(via gateway: IPv4Address, index: Int32) throws(NetworkError) {
        var m = NetlinkMessage(.newRoute, flags: NetlinkMessage.create | NetlinkMessage.excl, sequence: next())
        m.routeHeader(destinationPrefix: 0)
        m.attribute(Attr.routeGateway, gateway.bytes)
        m.attribute(Attr.routeOIF, u32: UInt32(bitPattern: index))
        try perform(m, "add the default route via \(gateway)", tolerate: [EEXIST])
    }
}
