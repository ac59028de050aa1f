/// Parsers for the text formats of cgroup files.
enum CgroupStatParser {
    /// A number, with `max` as `UInt64.max`; nil when unparsable.
    static func number(_ text: String?) -> UInt64? {
        guard let text else { return nil }
        let value = CgroupFS.trim(text)
        return value == "max" ? UInt64.max : UInt64(value)
    }

    /// `key value` lines (memory.stat, cpu.stat, cpuacct.stat, memory.events, memory.oom_control).
    static func keyValues(_ text: String) -> [String: UInt64] {
        var values: [String: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 2, let value = UInt64(fields[1]) else { continue }
            values[String(fields[0])] = value
        }
        return values
    }

    /// Space-separated numbers (`cpuacct.usage_percpu`).
    static func numbers(_ text: String) -> [UInt64] {
        text.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { UInt64($0) }
    }

    /// v1 blkio `MAJ:MIN Op value` lines; the trailing `Total N` summary is skipped.
    static func blkioV1(_ text: String) -> [CgroupStats.Blkio.Entry] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count == 3, let device = device(fields[0]), let value = UInt64(fields[2]) else { return nil }
            return .init(major: device.major, minor: device.minor, op: String(fields[1]), value: value)
        }
    }

    /// v2 `io.stat` (`MAJ:MIN rbytes=… wbytes=… rios=… wios=…`) as Docker's byte and op lists.
    static func ioV2(_ text: String) -> (bytes: [CgroupStats.Blkio.Entry], ios: [CgroupStats.Blkio.Entry]) {
        var bytes: [CgroupStats.Blkio.Entry] = []
        var ios: [CgroupStats.Blkio.Entry] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard let first = fields.first, let device = device(first) else { continue }
            var counters: [String: UInt64] = [:]
            for field in fields.dropFirst() {
                let pair = field.split(separator: "=", maxSplits: 1)
                if pair.count == 2, let value = UInt64(pair[1]) { counters[String(pair[0])] = value }
            }
            for (op, bytesKey, iosKey) in [("read", "rbytes", "rios"), ("write", "wbytes", "wios")] {
                bytes.append(.init(major: device.major, minor: device.minor, op: op, value: counters[bytesKey] ?? 0))
                ios.append(.init(major: device.major, minor: device.minor, op: op, value: counters[iosKey] ?? 0))
            }
        }
        return (bytes, ios)
    }

    private static func device(_ field: Substring) -> (major: UInt64, minor: UInt64)? {
        let parts = field.split(separator: ":")
        guard parts.count == 2, let major = UInt64(parts[0]), let minor = UInt64(parts[1]) else { return nil }
        return (major, minor)
    }
}
