/// A FIFO of bytes waiting for a non-blocking fd to accept them.
struct ByteQueue {
    private var storage: [UInt8] = []
    private var head = 0

    var count: Int { storage.count - head }
    var isEmpty: Bool { count == 0 }

    mutating func append(_ bytes: some Sequence<UInt8>) {
        storage.append(contentsOf: bytes)
    }

    /// Writes as much as the fd takes: false when the fd failed (the peer is gone).
    /// `send` returns the bytes written, 0 when the fd would block, -1 on failure.
    mutating func flush(to fd: Int32, send: (Int32, UnsafeRawBufferPointer) -> Int) -> Bool {
        while head < storage.count {
            let n = storage.withUnsafeBytes { send(fd, UnsafeRawBufferPointer(rebasing: $0[head...])) }
            if n > 0 {
                head += n
            } else {
                return n == 0
            }
        }
        storage.removeAll(keepingCapacity: true)
        head = 0
        return true
    }

    mutating func removeAll() {
        storage = []
        head = 0
    }
}
