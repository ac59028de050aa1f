import Foundation

/// Formats `Double`s the way Go's `strconv`/`fmt`/`encoding/json` do.
enum GoFloatFormat {
    /// Shortest round-tripping decimal digits of `|value|`: value = 0.d₁d₂… × 10^dp.
    struct Decimal {
        var digits: [Character]
        var dp: Int
    }

    /// Shortest digits, derived from Swift's (also shortest round-trip) description.
    static func shortest(_ value: Double) -> Decimal {
        let text = String(describing: abs(value))
        let parts = text.split(separator: "e", maxSplits: 1)
        let mantissa = parts.first.map(String.init) ?? text
        let exponent = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        let pointIndex = mantissa.firstIndex(of: ".")
        let integerLength = pointIndex.map { mantissa.distance(from: mantissa.startIndex, to: $0) } ?? mantissa.count
        var digits = Array(mantissa.filter { $0 != "." })
        var dp = integerLength + exponent
        while let first = digits.first, first == "0" {
            digits.removeFirst()
            dp -= 1
        }
        while let last = digits.last, last == "0" {
            digits.removeLast()
        }
        if digits.isEmpty { dp = 0 }
        return Decimal(digits: digits, dp: dp)
    }

    /// Go's `%v` (`strconv.FormatFloat(f, 'g', -1, 64)`).
    static func general(_ value: Double) -> String {
        if let special = special(value, plusInfinity: "+Inf") { return special }
        let decimal = shortest(value)
        let sign = value.sign == .minus ? "-" : ""
        let exponent = decimal.dp - 1
        if !decimal.digits.isEmpty && (exponent < -4 || exponent >= 6) {
            return sign + exponential(decimal, precision: decimal.digits.count - 1)
        }
        return sign + fixed(decimal, precision: max(decimal.digits.count - decimal.dp, 0))
    }

    /// `encoding/json` float encoding; `nil` for NaN and infinities (Go errors).
    static func json(_ value: Double) -> String? {
        guard value.isFinite else { return nil }
        let decimal = shortest(value)
        let sign = value.sign == .minus ? "-" : ""
        let magnitude = abs(value)
        if magnitude != 0 && (magnitude < 1e-6 || magnitude >= 1e21) {
            var text = exponential(decimal, precision: decimal.digits.count - 1)
            // Go cleans up e-09 to e-9.
            let chars = Array(text)
            let count = chars.count
            if count >= 4 && chars[count - 4] == "e" && chars[count - 3] == "-" && chars[count - 2] == "0" {
                text = String(chars[0..<(count - 2)]) + String(chars[count - 1])
            }
            return sign + text
        }
        return sign + fixed(decimal, precision: max(decimal.digits.count - decimal.dp, 0))
    }

    /// `printf`-style `%e`, `%f`, `%g` with an explicit or default precision.
    static func printf(_ value: Double, verb: Character, precision: Int?) -> String {
        if let special = special(value, plusInfinity: "+Inf") { return special }
        if verb == "g" && precision == nil { return general(value) }
        let precisionValue = precision ?? 6
        return String(format: "%.\(precisionValue)\(verb)", value)
    }

    private static func special(_ value: Double, plusInfinity: String) -> String? {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : plusInfinity }
        return nil
    }

    private static func exponential(_ decimal: Decimal, precision: Int) -> String {
        var out = String(decimal.digits.first ?? "0")
        if precision > 0 {
            out += "."
            for index in 1...precision {
                out.append(index < decimal.digits.count ? decimal.digits[index] : "0")
            }
        }
        let exponent = decimal.digits.isEmpty ? 0 : decimal.dp - 1
        out += exponent < 0 ? "e-" : "e+"
        let magnitude = abs(exponent)
        out += magnitude < 10 ? "0\(magnitude)" : "\(magnitude)"
        return out
    }

    private static func fixed(_ decimal: Decimal, precision: Int) -> String {
        var out = ""
        if decimal.dp > 0 {
            for index in 0..<decimal.dp {
                out.append(index < decimal.digits.count ? decimal.digits[index] : "0")
            }
        } else {
            out = "0"
        }
        if precision > 0 {
            out += "."
            for index in 1...precision {
                let position = decimal.dp + index - 1
                out.append(position >= 0 && position < decimal.digits.count ? decimal.digits[position] : "0")
            }
        }
        return out
    }
}
