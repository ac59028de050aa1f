import Glibc

/// DNS over TCP (RFC 7766), as Docker's resolver answers it: each message behind a two-byte
/// length; a client may send several on one connection. Clients switch to TCP when a UDP
/// answer comes back truncated (TC), so names with many addresses and large upstream answers
/// still resolve. Names not a container's are forwarded to the upstream resolver over TCP too.
extension ContainerResolver {
    /// How long a connection may sit idle (and an upstream may take) before it is closed.
    static let tcpIdleSeconds = 10

    /// Takes every pending connection; each is served on its own queue item.
    static func acceptConnections(_ listener: Int32, upstream: [IPv4Address], lookup: @escaping @Sendable (String) -> [IPv4Address]?) {
        while true {
            // Not inherited from the listener: a blocking socket, each read bounded by SO_RCVTIMEO.
            let conn = Glibc.accept(listener, nil, nil)
            guard conn >= 0 else { return }
            _ = fcntl(conn, F_SETFD, FD_CLOEXEC)
            var tv = timeval(tv_sec: tcpIdleSeconds, tv_usec: 0)
            setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(conn, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            queue.async { serveConnection(conn, upstream: upstream, lookup: lookup) }
        }
    }

    private static func serveConnection(_ conn: Int32, upstream: [IPv4Address], lookup: @Sendable (String) -> [IPv4Address]?) {
        defer { close(conn) }
        while let packet = readMessage(conn) {
            guard let q = DNSQuery(packet) else { return }
            let answer: [UInt8]
            if let found = lookup(q.name) {
                answer = q.answer(found)
            } else if let server = upstream.first {
                answer = forwardTCP(packet, to: server) ?? q.answer([], rcode: DNSQuery.servfail)
            } else {
                answer = q.answer([], rcode: DNSQuery.servfail)
            }
            guard writeMessage(conn, answer) else { return }
        }
    }

    /// One exchange with an upstream resolver over TCP, from berthd's namespace.
    static func forwardTCP(_ query: [UInt8], to server: IPv4Address) -> [UInt8]? {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { return nil }
        defer { close(s) }
        // SO_SNDTIMEO bounds connect() too.
        var tv = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(53).bigEndian
        addr.sin_addr.s_addr = server.value.bigEndian
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0, writeMessage(s, query) else { return nil }
        return readMessage(s)
    }

    /// A length-prefixed message; nil at EOF, on a timeout or an error.
    static func readMessage(_ fd: Int32) -> [UInt8]? {
        guard let head = readExactly(fd, 2) else { return nil }
        let length = Int(head[0]) << 8 | Int(head[1])
        return length == 0 ? nil : readExactly(fd, length)
    }

    static func writeMessage(_ fd: Int32, _ message: [UInt8]) -> Bool {
        guard message.count <= 0xFFFF else { return false }
        let bytes = [UInt8(message.count >> 8), UInt8(message.count & 0xFF)] + message
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            sent += n
        }
        return true
    }

    private static func readExactly(_ fd: Int32, _ count: Int) -> [UInt8]? {
        var buf = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress.map { $0 + got }, count - got, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return nil }
            got += n
        }
        return buf
    }
}
