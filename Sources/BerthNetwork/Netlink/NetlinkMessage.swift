/// One rtnetlink request as bytes: the 16-byte `nlmsghdr`, a fixed family header
/// (`ifinfomsg`, `ifaddrmsg`, `rtmsg`) and attributes, each 4-byte aligned, in host byte order.
struct NetlinkMessage {
    private(set) var bytes: [UInt8] = []

    /// rtnetlink message types and flags (linux/rtnetlink.h, linux/netlink.h).
    enum Kind: UInt16 {
        case newLink = 16, delLink = 17, getLink = 18, newAddr = 20, newRoute = 24
    }
    static let request: UInt16 = 0x1, ack: UInt16 = 0x4, excl: UInt16 = 0x200, create: UInt16 = 0x400
    static let error: UInt16 = 2, done: UInt16 = 3

    init(_ kind: Kind, flags: UInt16, sequence: UInt32) {
        append32(0)  // length, patched in `finished`
        append16(kind.rawValue)
        append16(flags | Self.request | Self.ack)
        append32(sequence)
        append32(0)  // port id: the kernel's
    }

    /// The message with its length filled in.
    var finished: [UInt8] {
        var b = bytes
        let n = UInt32(b.count)
        withUnsafeBytes(of: n) { for i in 0..<4 { b[i] = $0[i] } }
        return b
    }

    /// `struct ifinfomsg`: family, type, index, flags, change.
    mutating func linkHeader(index: Int32 = 0, flags: UInt32 = 0, change: UInt32 = 0) {
        Self.appendLinkHeader(&bytes, index: index, flags: flags, change: change)
    }

    static func appendLinkHeader(_ b: inout [UInt8], index: Int32, flags: UInt32, change: UInt32) {
        b += [0, 0, 0, 0]  // AF_UNSPEC, pad, ifi_type
        append32(&b, UInt32(bitPattern: index))
        append32(&b, flags)
        append32(&b, change)
    }

    /// `struct ifaddrmsg` for IPv4.
    mutating func addressHeader(prefixLength: Int, index: Int32) {
        bytes += [2, UInt8(prefixLength), 0, 0]  // AF_INET, prefix, flags, scope universe
        append32(UInt32(bitPattern: index))
    }

    /// `struct rtmsg` for an IPv4 unicast route in the main table.
    mutating func routeHeader(destinationPrefix: Int) {
        // family AF_INET, dst_len, src_len, tos, table main (254), protocol boot (3),
        // scope universe (0), type unicast (1), then 32 bits of flags.
        bytes += [2, UInt8(destinationPrefix), 0, 0, 254, 3, 0, 1]
        append32(0)
    }

    mutating func attribute(_ type: UInt16, _ payload: [UInt8]) { Self.appendAttribute(&bytes, type, payload) }
    mutating func attribute(_ type: UInt16, u32 v: UInt32) { attribute(type, Self.le32(v)) }
    mutating func attribute(_ type: UInt16, string s: String) { attribute(type, Array(s.utf8) + [0]) }

    /// A nested attribute whose payload `body` builds.
    mutating func nested(_ type: UInt16, _ body: (inout [UInt8]) -> Void) {
        var inner: [UInt8] = []
        body(&inner)
        attribute(type, inner)
    }

    static func appendAttribute(_ b: inout [UInt8], _ type: UInt16, _ payload: [UInt8]) {
        append16(&b, UInt16(4 + payload.count))
        append16(&b, type)
        b += payload
        while b.count % 4 != 0 { b.append(0) }
    }

    static func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v) { Array($0) } }
    static func append32(_ b: inout [UInt8], _ v: UInt32) { b += le32(v) }
    static func append16(_ b: inout [UInt8], _ v: UInt16) { b += withUnsafeBytes(of: v) { Array($0) } }
    private mutating func append32(_ v: UInt32) { Self.append32(&bytes, v) }
    private mutating func append16(_ v: UInt16) { Self.append16(&bytes, v) }
}

/// Attribute numbers (linux/if_link.h, linux/if_addr.h, linux/rtnetlink.h, linux/veth.h).
enum Attr {
    static let ifAddress: UInt16 = 1, ifName: UInt16 = 3, ifMTU: UInt16 = 4, ifMaster: UInt16 = 10
    static let ifLinkInfo: UInt16 = 18, ifNetNSFD: UInt16 = 28
    static let infoKind: UInt16 = 1, infoData: UInt16 = 2, vethPeer: UInt16 = 1
    static let addrAddress: UInt16 = 1, addrLocal: UInt16 = 2, addrBroadcast: UInt16 = 4
    static let routeOIF: UInt16 = 4, routeGateway: UInt16 = 5
    /// IFF_UP.
    static let up: UInt32 = 1
}
