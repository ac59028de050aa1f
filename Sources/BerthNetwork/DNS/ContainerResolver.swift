import CBerthSys
import Dispatch
import Glibc

/// Docker's embedded DNS for one container: a UDP socket at 127.0.0.11:53 inside the
/// container's network namespace, served by berthd. Names of containers on the container's
/// networks are answered here (`lookup`); everything else goes to the host's resolvers,
/// asked from berthd's own namespace (so even a loopback resolver such as systemd-resolved's
/// 127.0.0.53 works for the container).
public final class ContainerResolver: @unchecked Sendable {
    // Immutable after init; a dispatch source may be cancelled from any thread.
    public static let address = "127.0.0.11"
    private let fd: Int32
    private let source: any DispatchSourceRead
    private static let queue = DispatchQueue(label: "berth.dns", attributes: .concurrent)

    /// `lookup` returns the addresses of a name the container may see, or nil when the name is
    /// not a container's (then `upstream` resolvers are asked).
    public init(netns: String, upstream: [IPv4Address], lookup: @escaping @Sendable (String) -> [IPv4Address]?) throws(NetworkError) {
        let fd = berth_netns_socket(netns, AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw .sys("open the DNS socket in \(netns)", errno: errno) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(53).bigEndian
        addr.sin_addr.s_addr = (IPv4Address(Self.address)?.value ?? 0).bigEndian
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            let e = errno
            close(fd)
            throw .sys("bind the DNS socket to \(Self.address):53", errno: e)
        }
        self.fd = fd
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: Self.queue)
        self.source = source
        source.setEventHandler { Self.serve(fd, upstream: upstream, lookup: lookup) }
        source.setCancelHandler { close(fd) }
        source.resume()
    }

    /// Stops serving and closes the socket.
    public func stop() { source.cancel() }

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
                reply(fd, q.answer(found), to: peer)
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
