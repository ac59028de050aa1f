/// Docker's multiplexed attach framing: an 8-byte header `[stream, 0, 0, 0, size (big endian)]`
/// then the payload; stream 0 is stdin, 1 stdout, 2 stderr.
public enum StreamFrame {
    /// Frames `payload` for `stream`.
    public static func encode(stream: UInt8, _ payload: some Collection<UInt8>) -> [UInt8] {
        let size = UInt32(payload.count)
        var out: [UInt8] = [stream, 0, 0, 0, UInt8(size >> 24), UInt8(size >> 16 & 0xFF),
                            UInt8(size >> 8 & 0xFF), UInt8(size & 0xFF)]
        out.append(contentsOf: payload)
        return out
    }

    /// Splits a byte stream into frames; a trailing incomplete frame is ignored.
    public static func decode(_ bytes: [UInt8]) -> [(stream: UInt8, payload: [UInt8])] {
        var frames: [(stream: UInt8, payload: [UInt8])] = []
        var offset = 0
        while offset + 8 <= bytes.count {
            let size = Int(bytes[offset + 4]) << 24 | Int(bytes[offset + 5]) << 16
                | Int(bytes[offset + 6]) << 8 | Int(bytes[offset + 7])
            guard offset + 8 + size <= bytes.count else { break }
            frames.append((bytes[offset], Array(bytes[(offset + 8)..<(offset + 8 + size)])))
            offset += 8 + size
        }
        return frames
    }
}
