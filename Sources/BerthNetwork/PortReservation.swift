import Glibc

/// A host port held by a bound (never listening) socket, so no host program can take a port
/// that is published, and a port a host program already uses is refused at once. Traffic to
/// the port never reaches the socket: NAT sends it to the container first.
public final class PortReservation: Sendable {
    public let proto: PortProtocol
    public let hostIP: IPv4Address?
    public let port: UInt16
    private let fd: Int32

    /// Binds `port` on `hostIP` (every address when nil); port 0 takes a free port from the
    /// kernel's ephemeral range, as Docker's `-P` does.
    public init(_ proto: PortProtocol, hostIP: IPv4Address?, port: UInt16) throws(NetworkError) {
        let type = proto == .tcp ? Int32(SOCK_STREAM.rawValue) : Int32(SOCK_DGRAM.rawValue)
        let fd = socket(AF_INET, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .sys("socket", errno: errno) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = (hostIP?.value ?? 0).bigEndian
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            let e = errno
            close(fd)
            let where_ = "\(hostIP?.description ?? "0.0.0.0"):\(port)"
            if e == EADDRINUSE {
                throw NetworkError(.conflict, "Bind for \(where_) failed: port is already allocated")
            }
            if e == EADDRNOTAVAIL {
                throw NetworkError(.invalid, "Bind for \(where_) failed: \(hostIP?.description ?? "") is not an address of this host")
            }
            throw .sys("bind \(proto) \(where_)", errno: e)
        }
        var bound = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        self.fd = fd
        self.proto = proto
        self.hostIP = hostIP
        self.port = UInt16(bigEndian: bound.sin_port)
    }

    deinit { close(fd) }
}
