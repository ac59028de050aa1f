/// A kernel CPU list (`0-3,6`, as in `cpuset.cpus` and `/sys/devices/system/cpu/online`).
struct CgroupCPUList: Equatable, Sendable, CustomStringConvertible {
    let cpus: Set<Int>

    init(_ cpus: Set<Int>) { self.cpus = cpus }

    /// Parses `0-3,6`; nil when malformed. The empty string is the empty list.
    init?(parsing text: String) {
        var cpus = Set<Int>()
        let trimmed = CgroupFS.trim(text)
        if trimmed.isEmpty {
            self.cpus = []
            return
        }
        for item in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = item.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(bounds.count),
                let low = Int(bounds[0]), let high = Int(bounds[bounds.count - 1]),
                low >= 0, low <= high, high < 65536
            else { return nil }
            cpus.formUnion(low...high)
        }
        self.cpus = cpus
    }

    var isEmpty: Bool { cpus.isEmpty }

    func isSubset(of other: CgroupCPUList) -> Bool { cpus.isSubset(of: other.cpus) }

    /// Canonical form: sorted ranges, `0-1,3`.
    var description: String {
        var parts: [String] = []
        var start: Int?
        var previous = -2
        for cpu in cpus.sorted() {
            if cpu != previous + 1 {
                if let start { parts.append(Self.range(start, previous)) }
                start = cpu
            }
            previous = cpu
        }
        if let start { parts.append(Self.range(start, previous)) }
        return parts.joined(separator: ",")
    }

    private static func range(_ low: Int, _ high: Int) -> String { low == high ? "\(low)" : "\(low)-\(high)" }
}
