import CBerthSys
import Dispatch
import Glibc

/// Docker's embedded DNS for one container: a UDP and a TCP socket at 127.0.0.11:53 inside
/// the container's network namespace, served by berthd. Names of containers on the container's
/// networks are answered here (`lookup`); everything else goes to the host's resolvers,
/// asked from berthd's own namespace (so even a loopback resolver such as systemd-resolved's
/// 127.0.0.53 works for the container).
public final class ContainerResolver: @unchecked Sendable {
    // Immutable after init; a dispatch source may be cancelled from any thread.
    public static let address = "127.0.0.11"
    private let udp: any DispatchSourceRead
    private let tcp: any DispatchSourceRead
    static let queue = DispatchQueue(label: "berth.dns", attributes: .concurrent)

    /// `lookup` returns the addresses of a name the container may see, or nil when the name is
    /// not a container's (then `upstream` resolvers are asked).
    public init(netns: String, upstream: [IPv4Address], lookup: @escaping @Sendable (String) -> [IPv4Address]?) throws(NetworkError) {
        let udpFD = try Self.boundSocket(netns, type: SOCK_DGRAM)
        let tcpFD: Int32
        do { tcpFD = try Self.boundSocket(netns, type: SOCK_STREAM) } catch {
            close(udpFD)
            throw error
        }
        guard listen(tcpFD, 64) == 0 else {
            let e = errno
            close(udpFD)
            close(tcpFD)
            throw .sys("listen on \(Self.address):53/tcp", errno: e)
        }
        udp = DispatchSource.makeReadSource(fileDescriptor: udpFD, queue: Self.queue)
        udp.setEventHandler { Self.serve(udpFD, upstream: upstream, lookup: lookup) }
        udp.setCancelHandler { close(udpFD) }
        udp.resume()
        tcp = DispatchSource.makeReadSource(fileDescriptor: tcpFD, queue: Self.queue)
        let connections = TCPConnections()
        tcp.setEventHandler { Self.acceptConnections(tcpFD, connections, upstream: upstream, lookup: lookup) }
        tcp.setCancelHandler { close(tcpFD) }
        tcp.resume()
    }

    /// A non-blocking socket of `type` in `netns`, bound to 127.0.0.11:53.
    private static func boundSocket(_ netns: String, type: __socket_type) throws(NetworkError) -> Int32 {
        let kind = type == SOCK_DGRAM ? "udp" : "tcp"
        let fd = berth_netns_socket(netns, AF_INET, Int32(type.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .sys("open the DNS socket (\(kind)) in \(netns)", errno: errno) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(53).bigEndian
        addr.sin_addr.s_addr = (IPv4Address(Self.address)?.value ?? 0).bigEndian
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            let e = errno
            close(fd)
            throw .sys("bind the DNS socket to \(Self.address):53/\(kind)", errno: e)
        }
        return fd
    }

    /// Stops serving and closes the sockets (connections being served end with their query).
    public func stop() {
        udp.cancel()
        tcp.cancel()
    }

    private static func serve(_ fd: Int32, upstream: [IPv4Address], lookup: @Sendable (String) -> [IPv4Address]?) {
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            var peer = sockaddr_in()
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let n = withUnsafeMutablePointer(to: &peer) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, &buf, buf.count, 0, $0, &len) }
            }
            guard n > 0 else { return }
            let packet = Array(buf[0..<n])
            guard let q = DNSQuery(packet) else { continue }
            if let found = lookup(q.name) {
                reply(fd, q.answer(found, limit: DNSQuery.udpLimit), to: peer)
            } else if let server = upstream.first {
                // A slow upstream must not hold the container's other queries.
                let client = peer
                queue.async {
                    reply(fd, forward(packet, to: server) ?? q.answer([], rcode: DNSQuery.servfail), to: client)
                }
            } else {
                reply(fd, q.answer([], rcode: DNSQuery.servfail), to: peer)
            }
        }
    }

    private static func reply(_ fd: Int32, _ bytes: [UInt8], to peer: sockaddr_in) {
        var p = peer
        _ = withUnsafePointer(to: &p) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    /// One exchange with an upstream resolver (2 s at most), from berthd's namespace.
    static func forward(_ query: [UInt8], to server: IPv4Address) -> [UInt8]? {
        let s = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { return nil }
        defer { close(s) }
        var tv = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(53).bigEndian
        addr.sin_addr.s_addr = server.value.bigEndian
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0, send(s, query, query.count, 0) == query.count else { return nil }
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = recv(s, &buf, buf.count, 0)
        return n > 0 ? Array(buf[0..<n]) : nil
    }
}
