import CBerthSys
import Foundation
import Glibc
import Synchronization

/// DNS over TCP (RFC 7766), as Docker's resolver answers it: each message behind a two-byte
/// length; a client may send several on one connection. Clients switch to TCP when a UDP
/// answer comes back truncated (TC), so names with many addresses and large upstream answers
/// still resolve. Names not a container's are forwarded to the upstream resolver over TCP too.
extension ContainerResolver {
    /// How long a connection may live (and an upstream may take): a client dripping bytes
    /// is cut off then, whatever it sends.
    static let tcpConnectionSeconds = 10
    /// Connections served at once per container; more are closed at once (the client falls
    /// back or retries), so one container cannot hold threads or descriptors without bound.
    static let tcpConnectionLimit = 8

    /// The connections a resolver is serving.
    final class TCPConnections: Sendable {
        let count = Mutex(0)

        func enter() -> Bool {
            count.withLock { n in
                guard n < ContainerResolver.tcpConnectionLimit else { return false }
                n += 1
                return true
            }
        }

        func leave() { count.withLock { $0 -= 1 } }
    }

    /// Takes every pending connection; each is served on a thread of its own.
    static func acceptConnections(_ listener: Int32, _ connections: TCPConnections, upstream: [IPv4Address],
                                  lookup: @escaping @Sendable (String) -> [IPv4Address]?) {
        while true {
            // Blocking (not inherited from the listener), each read bounded by the deadline.
            let conn = berth_accept_cloexec(listener)
            // Out of descriptors, the pending connection stays queued and the source fires
            // again: wait a little rather than spin.
            if conn < 0 && (errno == EMFILE || errno == ENFILE) { usleep(100_000) }
            guard conn >= 0 else { return }
            guard connections.enter() else {
                close(conn)
                continue
            }
            // A thread of its own (at most the limit per container): a connection blocks while
            // its client is slow, and blocked work on dispatch's shared pool would hold up UDP.
            Thread.detachNewThread {
                defer { connections.leave() }
                serveConnection(conn, upstream: upstream, lookup: lookup)
            }
        }
    }

    private static func serveConnection(_ conn: Int32, upstream: [IPv4Address], lookup: @Sendable (String) -> [IPv4Address]?) {
        defer { close(conn) }
        let deadline = ContinuousClock.now + .seconds(tcpConnectionSeconds)
        while let packet = readMessage(conn, before: deadline) {
            guard let q = DNSQuery(packet) else { return }
            let answer: [UInt8]
            if let found = lookup(q.name) {
                answer = q.answer(found)
            } else if let server = upstream.first {
                answer = forwardTCP(packet, to: server) ?? q.answer([], rcode: DNSQuery.servfail)
            } else {
                answer = q.answer([], rcode: DNSQuery.servfail)
            }
            guard setTimeout(conn, SO_SNDTIMEO, until: deadline), writeMessage(conn, answer) else { return }
        }
    }

    /// Sets a socket timeout to what is left until `deadline`; false when nothing is.
    private static func setTimeout(_ fd: Int32, _ option: Int32, until deadline: ContinuousClock.Instant) -> Bool {
        let left = deadline - ContinuousClock.now
        guard left > .zero else { return false }
        let micros = left.components.seconds * 1_000_000 + left.components.attoseconds / 1_000_000_000_000
        var tv = timeval(tv_sec: Int(micros / 1_000_000), tv_usec: Int(max(micros % 1_000_000, 1)))
        return setsockopt(fd, SOL_SOCKET, option, &tv, socklen_t(MemoryLayout<timeval>.size)) == 0
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

    /// A length-prefixed message; nil at EOF, on a timeout or an error. With `deadline`, every
    /// read waits only for what is left of it.
    static func readMessage(_ fd: Int32, before deadline: ContinuousClock.Instant? = nil) -> [UInt8]? {
        guard let head = readExactly(fd, 2, before: deadline) else { return nil }
        let length = Int(head[0]) << 8 | Int(head[1])
        return length == 0 ? nil : readExactly(fd, length, before: deadline)
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

    private static func readExactly(_ fd: Int32, _ count: Int, before deadline: ContinuousClock.Instant?) -> [UInt8]? {
        var buf = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            if let deadline, !setTimeout(fd, SO_RCVTIMEO, until: deadline) { return nil }
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress.map { $0 + got }, count - got, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return nil }
            got += n
        }
        return buf
    }
}
