import Glibc

/// Docker's json-file log driver: one `{"log":…,"stream":…,"time":…}` object per line of
/// output, partial lines flushed at 16 KiB, rotated at `maxSize` keeping `maxFiles` files
/// (`path`, `path.1`, …). Output is never blocked on the log; a failing write is dropped.
final class JSONLogWriter {
    static let maxLine = 16 * 1024

    let path: String
    let maxSize: Int64?
    let maxFiles: Int
    private var fd: Int32
    private var size: Int64
    private var partial: [String: [UInt8]] = [:]

    init(_ spec: ContainerSpec.LogSpec) throws(RuntimeError) {
        path = spec.path
        maxSize = spec.maxSize.flatMap { $0 > 0 ? $0 : nil }
        maxFiles = max(1, spec.maxFiles)
        fd = -1
        size = 0
        try reopen(truncate: false)
    }

    deinit { Descriptor.close(fd) }

    /// Appends output of `stream` (`stdout` or `stderr`), logging every complete line.
    func write(_ bytes: [UInt8], stream: String) {
        var buffer = partial[stream, default: []]
        buffer.append(contentsOf: bytes)
        var pending: [UInt8] = []
        // One read, one timestamp: formatting it per line would dominate chatty output.
        let time = Array(Timestamp.now().rfc3339Nano.utf8)
        var start = 0
        while start < buffer.count {
            let end: Int
            if let newline = buffer[start...].firstIndex(of: 0x0A), newline - start < Self.maxLine {
                end = newline + 1
            } else if buffer.count - start >= Self.maxLine {
                end = start + Self.maxLine
            } else {
                break
            }
            append(message: buffer[start..<end], stream: stream, time: time, to: &pending)
            start = end
        }
        partial[stream] = Array(buffer[start...])
        flush(&pending)
    }

    /// Logs whatever partial lines remain (at exit).
    func flushPartialLines() {
        var pending: [UInt8] = []
        let time = Array(Timestamp.now().rfc3339Nano.utf8)
        for stream in partial.keys.sorted() {
            if let rest = partial[stream], !rest.isEmpty { append(message: rest[...], stream: stream, time: time, to: &pending) }
        }
        partial = [:]
        flush(&pending)
    }

    private func append(message: ArraySlice<UInt8>, stream: String, time: [UInt8], to pending: inout [UInt8]) {
        if let maxSize, size + Int64(pending.count) >= maxSize, size + Int64(pending.count) > 0 {
            flush(&pending)
            rotate()
        }
        pending.append(contentsOf: Self.prefix)
        JSONString.append(String(decoding: message, as: UTF8.self), to: &pending)
        pending.append(contentsOf: stream == "stderr" ? Self.stderrInfix : Self.stdoutInfix)
        pending.append(contentsOf: time)
        pending.append(contentsOf: Self.suffix)
    }

    private static let prefix = Array("{\"log\":".utf8)
    private static let stdoutInfix = Array(",\"stream\":\"stdout\",\"time\":\"".utf8)
    private static let stderrInfix = Array(",\"stream\":\"stderr\",\"time\":\"".utf8)
    private static let suffix = Array("\"}\n".utf8)

    private func flush(_ pending: inout [UInt8]) {
        guard !pending.isEmpty else { return }
        if (try? Descriptor.writeAll(fd, pending)) != nil { size += Int64(pending.count) }
        pending.removeAll(keepingCapacity: true)
    }

    private func rotate() {
        if maxFiles > 1 {
            for index in stride(from: maxFiles - 1, to: 1, by: -1) {
                rename("\(path).\(index - 1)", "\(path).\(index)")
            }
            rename(path, "\(path).1")
        }
        try? reopen(truncate: true)
    }

    private func reopen(truncate: Bool) throws(RuntimeError) {
        Descriptor.close(fd)
        let flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0)
        fd = Glibc.open(path, flags, 0o640)
        guard fd >= 0 else { throw .sys("open log \(path)") }
        var st = stat()
        size = fstat(fd, &st) == 0 ? Int64(st.st_size) : 0
    }
}

/// JSON string literals as Go's encoding/json writes them: HTML-safe (`<`, `>`, `&` escaped),
/// U+2028/U+2029 escaped, invalid UTF-8 replaced by U+FFFD. Works on bytes: this is the log's
/// hot path.
enum JSONString {
    static func append(_ text: String, to out: inout [UInt8]) {
        var text = text
        text.withUTF8 { bytes in
            out.reserveCapacity(out.count + bytes.count + 2)
            out.append(0x22)
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                switch byte {
                case 0x22: out += [0x5C, 0x22]
                case 0x5C: out += [0x5C, 0x5C]
                case 0x0A: out += [0x5C, 0x6E]
                case 0x0D: out += [0x5C, 0x72]
                case 0x09: out += [0x5C, 0x74]
                case 0x3C, 0x3E, 0x26, 0x00..<0x20: appendEscape(UInt32(byte), to: &out)
                case 0xE2 where index + 2 < bytes.count && bytes[index + 1] == 0x80
                    && (bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9):
                    appendEscape(bytes[index + 2] == 0xA8 ? 0x2028 : 0x2029, to: &out)
                    index += 2
                default: out.append(byte)
                }
                index += 1
            }
            out.append(0x22)
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func appendEscape(_ value: UInt32, to out: inout [UInt8]) {
        out += [0x5C, 0x75]
        for shift in stride(from: 12, through: 0, by: -4) { out.append(hexDigits[Int(value >> UInt32(shift) & 0xF)]) }
    }
}
