/// Byte counts written the way a user types them on the command line (`64m`, `1g`, `512k`),
/// so an error quotes the flag's value back recognisably.
enum CgroupByteSize {
    static func format(_ bytes: Int64) -> String {
        if bytes == -1 { return "-1" }
        let units: [(Int64, String)] = [(1 << 40, "t"), (1 << 30, "g"), (1 << 20, "m"), (1 << 10, "k")]
        for (size, suffix) in units where bytes != 0 && bytes % size == 0 {
            return "\(bytes / size)\(suffix)"
        }
        return "\(bytes)"
    }

    static func format(_ bytes: UInt64) -> String {
        bytes > UInt64(Int64.max) ? "\(bytes)" : format(Int64(bytes))
    }
}
