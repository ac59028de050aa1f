/// Go's time.ParseDuration, enough to validate HEALTHCHECK's flags: "1h2m3.5s", "500ms", "0".
enum GoDuration {
    /// The duration in nanoseconds, or nil when `text` is not a Go duration (or overflows).
    static func nanoseconds(_ text: String) -> Int64? {
        var s = Substring(text)
        var sign: Int64 = 1
        if s.first == "-" || s.first == "+" {
            if s.first == "-" { sign = -1 }
            s = s.dropFirst()
        }
        if s == "0" { return 0 }
        guard !s.isEmpty else { return nil }
        let units: [(String, Double)] = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("μs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9)]
        var total = 0.0
        while !s.isEmpty {
            let number = s.prefix(while: { $0.isASCII && ($0.isNumber || $0 == ".") })
            guard !number.isEmpty, number != ".", let value = Double(number) else { return nil }
            s = s.dropFirst(number.count)
            let unitText = s.prefix(while: { !($0.isASCII && ($0.isNumber || $0 == ".")) })
            guard let unit = units.first(where: { $0.0 == unitText }) else { return nil }
            s = s.dropFirst(unitText.count)
            total += value * unit.1
            guard total < 9.2e18 else { return nil }
        }
        return sign * Int64(total)
    }
}
