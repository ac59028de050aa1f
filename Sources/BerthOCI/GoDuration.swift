/// Go's `time.Duration` text (`1m30s`, `500ms`, `1.5s`), as Docker's flags and messages write
/// health-check intervals and timeouts. Values are nanoseconds.
public enum GoDuration {
    static let units: [(String, Double)] = [
        ("ns", 1), ("us", 1e3), ("µs", 1e3), ("μs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9),
    ]

    /// Parses Go's syntax: an optional sign, then one or more decimal numbers each with a unit
    /// (`ns us µs ms s m h`); `0` alone needs no unit.
    public static func parse(_ text: String) throws(OCIError) -> Int64 {
        var s = Substring(text)
        var negative = false
        if let sign = s.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            s = s.dropFirst()
        }
        if s == "0" { return 0 }
        guard !s.isEmpty else { throw invalid(text) }
        var total = 0.0
        while !s.isEmpty {
            let number = s.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { throw invalid(text) }
            s = s.dropFirst(number.count)
            let unitText = s.prefix { !$0.isNumber && $0 != "." }
            guard let unit = units.first(where: { $0.0 == unitText }) else {
                throw OCIError(.invalid, unitText.isEmpty ? "time: missing unit in duration \"\(text)\""
                                                          : "time: unknown unit \"\(unitText)\" in duration \"\(text)\"")
            }
            s = s.dropFirst(unitText.count)
            total += value * unit.1
        }
        guard total < 9.2e18 else { throw OCIError(.invalid, "time: invalid duration \"\(text)\" (too large)") }
        return Int64(negative ? -total : total)
    }

    /// Formats like Go's `Duration.String()`: `0s`, `1.5s`, `1m0s`, `2h3m4s`, `500ms`, `10µs`.
    public static func format(_ nanoseconds: Int64) -> String {
        if nanoseconds == 0 { return "0s" }
        let sign = nanoseconds < 0 ? "-" : ""
        let ns = nanoseconds.magnitude
        if ns < 1_000 { return "\(sign)\(ns)ns" }
        if ns < 1_000_000 { return sign + fraction(ns, 1_000) + "µs" }
        if ns < 1_000_000_000 { return sign + fraction(ns, 1_000_000) + "ms" }
        let hours = ns / 3_600_000_000_000
        let minutes = ns / 60_000_000_000 % 60
        let seconds = fraction(ns % 60_000_000_000, 1_000_000_000) + "s"
        if hours > 0 { return "\(sign)\(hours)h\(minutes)m\(seconds)" }
        if minutes > 0 { return "\(sign)\(minutes)m\(seconds)" }
        return sign + seconds
    }

    /// `value / unit` with the fraction's trailing zeros dropped (`1500, 1000` → `1.5`).
    static func fraction(_ value: UInt64, _ unit: UInt64) -> String {
        let whole = value / unit, rest = value % unit
        guard rest > 0 else { return "\(whole)" }
        var digits = String(rest)
        digits = String(repeating: "0", count: String(unit).count - 1 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(whole).\(digits)"
    }

    static func invalid(_ text: String) -> OCIError { OCIError(.invalid, "time: invalid duration \"\(text)\"") }
}
