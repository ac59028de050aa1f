/// Go's `time.Duration` spelling ("1m30s", "500ms", "1.5h"), which compose uses for
/// healthcheck intervals and stop_grace_period; kept in nanoseconds and printed as Go prints it.
public struct Duration: Sendable, Equatable {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    /// Parses Go's syntax; nil when it is not a duration.
    public init?(parsing text: String) {
        var s = Substring(text)
        var negative = false
        if s.first == "-" || s.first == "+" { negative = s.first == "-"; s = s.dropFirst() }
        if s == "0" { self.nanoseconds = 0; return }
        guard !s.isEmpty else { return nil }
        let units: [(String, Double)] = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("μs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9)]
        var total = 0.0
        while !s.isEmpty {
            let number = s.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number != ".", let value = Double(number) else { return nil }
            s = s.dropFirst(number.count)
            let unit = s.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            guard let factor = units.first(where: { $0.0 == unit })?.1 else { return nil }
            s = s.dropFirst(unit.count)
            total += value * factor
            guard total < 9.2e18 else { return nil }
        }
        self.nanoseconds = Int64(negative ? -total : total)
    }

    /// Go's `Duration.String()`.
    public var description: String {
        var n = nanoseconds
        if n == 0 { return "0s" }
        let sign = n < 0 ? "-" : ""
        if n == Int64.min { return "-2562047h47m16.854775808s" }
        n = abs(n)
        if n < 1_000_000_000 {
            if n < 1_000 { return "\(sign)\(n)ns" }
            if n < 1_000_000 { return sign + Self.fraction(n, 1_000) + "µs" }
            return sign + Self.fraction(n, 1_000_000) + "ms"
        }
        let hours = n / 3_600_000_000_000
        let minutes = (n / 60_000_000_000) % 60
        let seconds = Self.fraction(n % 60_000_000_000, 1_000_000_000) + "s"
        if hours > 0 { return "\(sign)\(hours)h\(minutes)m\(seconds)" }
        if minutes > 0 { return "\(sign)\(minutes)m\(seconds)" }
        return sign + seconds
    }

    private static func fraction(_ n: Int64, _ unit: Int64) -> String {
        let whole = n / unit, rest = n % unit
        guard rest != 0 else { return String(whole) }
        var digits = String(rest)
        digits = String(repeating: "0", count: String(unit).count - 1 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(whole).\(digits)"
    }
}
