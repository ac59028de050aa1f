import Glibc

/// A NETLINK_ROUTE socket bound to one network namespace (the one it was opened in): links,
/// addresses and routes are set through it without running `ip`. Blocking; one request at a
/// time, each acknowledged before the next.
public final class RouteSocket {
    let fd: Int32
    private var sequence: UInt32 = 0

    /// A socket in berthd's own network namespace.
    public convenience init() throws(NetworkError) {
        let fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .sys("open a netlink socket", errno: errno) }
        self.init(adopting: fd)
    }

    /// Takes ownership of an open NETLINK_ROUTE socket (e.g. one made inside a namespace).
    public init(adopting fd: Int32) { self.fd = fd }

    deinit { close(fd) }

    /// Sends `message` and waits for its acknowledgement; the kernel's error becomes a
    /// NetworkError naming `what`. `tolerate` lists errnos that count as success (EEXIST…).
    func perform(_ message: NetlinkMessage, _ what: String, tolerate: Set<Int32> = []) throws(NetworkError) {
        let code = try exchange(message, what) { _, _ in }
        if code != 0, !tolerate.contains(code) { throw .sys(what, errno: code) }
    }

    /// Sends `message` and returns the kernel's errno (0 for success), passing each reply
    /// message (type, payload after the header) to `reply`.
    func exchange(_ message: NetlinkMessage, _ what: String, reply: (UInt16, ArraySlice<UInt8>) -> Void) throws(NetworkError) -> Int32 {
        let bytes = message.finished
        let seq = bytes.withUnsafeBytes { $0.load(fromByteOffset: 8, as: UInt32.self) }
        let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        guard sent == bytes.count else { throw .sys("\(what): send to netlink", errno: errno) }
        var buf = [UInt8](repeating: 0, count: 32768)
        while true {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .sys("\(what): receive from netlink", errno: errno)
            }
            var off = 0
            while off + 16 <= n {
                let len = Int(Self.u32(buf, off))
                let type = Self.u16(buf, off + 4)
                let msgSeq = Self.u32(buf, off + 8)
                guard len >= 16, off + len <= n else { break }
                if msgSeq == seq {
                    if type == NetlinkMessage.error {
                        // struct nlmsgerr: int error (negative errno, 0 = ack), then the request.
                        return -Int32(bitPattern: Self.u32(buf, off + 16))
                    }
                    if type == NetlinkMessage.done { return 0 }
                    reply(type, buf[(off + 16)..<(off + len)])
                }
                off += (len + 3) & ~3
            }
        }
    }

    func next() -> UInt32 {
        sequence &+= 1
        return sequence
    }

    static func u32(_ b: [UInt8], _ off: Int) -> UInt32 {
        UInt32(b[off]) | UInt32(b[off + 1]) << 8 | UInt32(b[off + 2]) << 16 | UInt32(b[off + 3]) << 24
    }

    static func u16(_ b: [UInt8], _ off: Int) -> UInt16 { UInt16(b[off]) | UInt16(b[off + 1]) << 8 }
}
