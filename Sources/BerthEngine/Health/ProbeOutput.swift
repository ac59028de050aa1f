/// A probe's stdout and stderr, demultiplexed from the shim's frames as they arrive and kept
/// up to Docker's 4096 bytes; `...` marks output that was cut.
struct ProbeOutput {
    static let limit = 4096

    private var pending: [UInt8] = []
    private var kept: [UInt8] = []
    private var truncated = false

    /// Takes the next bytes of the multiplexed stream.
    mutating func append(_ bytes: some Collection<UInt8>) {
        pending.append(contentsOf: bytes)
        var offset = 0
        while pending.count - offset >= 8 {
            let size = Int(pending[offset + 4]) << 24 | Int(pending[offset + 5]) << 16 | Int(pending[offset + 6]) << 8 | Int(pending[offset + 7])
            guard pending.count - offset >= 8 + size else { break }
            keep(pending[(offset + 8)..<(offset + 8 + size)])
            offset += 8 + size
        }
        pending.removeFirst(offset)
    }

    private mutating func keep(_ payload: ArraySlice<UInt8>) {
        let room = max(0, Self.limit - kept.count)
        kept.append(contentsOf: payload.prefix(room))
        if payload.count > room { truncated = true }
    }

    var text: String { String(decoding: kept, as: UTF8.self) + (truncated ? "..." : "") }
}
