import Foundation

/// Decodes Go literals the way `strconv` does for the template parser.
enum GoLiteral {
    /// A literal that could not be decoded; `message` is Go's error text.
    struct Failure: Error {
        var message: String
    }

    /// `strconv.Unquote` for a double-quoted or back-quoted string token.
    static func unquote(_ token: String) throws(Failure) -> String {
        let bytes = Array(token.utf8)
        guard bytes.count >= 2, let quote = bytes.first, bytes.last == quote else {
            throw Failure(message: "invalid syntax")
        }
        let body = Array(bytes[1..<(bytes.count - 1)])
        if quote == UInt8(ascii: "`") {
            guard !body.contains(UInt8(ascii: "`")) else { throw Failure(message: "invalid syntax") }
            return String(decoding: body.filter { $0 != 0x0D }, as: UTF8.self)
        }
        guard quote == UInt8(ascii: "\"") else { throw Failure(message: "invalid syntax") }
        var out: [UInt8] = []
        var index = 0
        while index < body.count {
            let (bytes, next) = try unquoteChar(body, at: index, quote: quote)
            out.append(contentsOf: bytes)
            index = next
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The code point of a character constant such as `'a'` or `'\n'`.
    static func character(_ token: String) throws(Failure) -> Int64 {
        let bytes = Array(token.utf8)
        guard bytes.count >= 3, bytes.first == UInt8(ascii: "'") else {
            throw Failure(message: "malformed character constant: \(token)")
        }
        let (decoded, next) = try unquoteChar(bytes, at: 1, quote: UInt8(ascii: "'"))
        guard next == bytes.count - 1, bytes[next] == UInt8(ascii: "'") else {
            throw Failure(message: "malformed character constant: \(token)")
        }
        if let scalar = String(decoding: decoded, as: UTF8.self).unicodeScalars.first, decoded.count > 1 || decoded[0] < 0x80 {
            return Int64(scalar.value)
        }
        return Int64(decoded.first ?? 0)
    }

    /// Decodes one (possibly escaped) character; returns its UTF-8 bytes and the next index.
    private static func unquoteChar(_ s: [UInt8], at start: Int, quote: UInt8) throws(Failure) -> ([UInt8], Int) {
        let syntax = Failure(message: "invalid syntax")
        let c = s[start]
        if c == quote || c == 0x0A { throw syntax }
        if c != UInt8(ascii: "\\") {
            var end = start + 1
            while end < s.count && (s[end] & 0xC0) == 0x80 { end += 1 }
            return (Array(s[start..<end]), end)
        }
        guard start + 1 < s.count else { throw syntax }
        let escape = s[start + 1]
        var index = start + 2
        let simple: [UInt8: UInt8] = [
            UInt8(ascii: "a"): 0x07, UInt8(ascii: "b"): 0x08, UInt8(ascii: "f"): 0x0C, UInt8(ascii: "n"): 0x0A,
            UInt8(ascii: "r"): 0x0D, UInt8(ascii: "t"): 0x09, UInt8(ascii: "v"): 0x0B, UInt8(ascii: "\\"): 0x5C,
        ]
        if let mapped = simple[escape] { return ([mapped], index) }
        switch escape {
        case UInt8(ascii: "x"), UInt8(ascii: "u"), UInt8(ascii: "U"):
            let count = escape == UInt8(ascii: "x") ? 2 : (escape == UInt8(ascii: "u") ? 4 : 8)
            guard index + count <= s.count,
                  let value = UInt32(String(decoding: s[index..<(index + count)], as: UTF8.self), radix: 16)
            else { throw syntax }
            index += count
            if escape == UInt8(ascii: "x") { return ([UInt8(value)], index) }
            guard let scalar = Unicode.Scalar(value) else { throw syntax }
            return (Array(String(Character(scalar)).utf8), index)
        case UInt8(ascii: "0")...UInt8(ascii: "7"):
            guard start + 4 <= s.count,
                  let value = UInt32(String(decoding: s[(start + 1)..<(start + 4)], as: UTF8.self), radix: 8),
                  value <= 255
            else { throw syntax }
            return ([UInt8(value)], start + 4)
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            guard escape == quote else { throw syntax }
            return ([escape], index)
        default:
            throw syntax
        }
    }

    /// Parses a number token like Go's `parse.NumberNode`.
    static func number(_ text: String) throws(Failure) -> TemplateNumber {
        var number = TemplateNumber(text: text)
        if text.hasSuffix("i") {
            throw Failure(message: "complex constants are not supported: \(GoText.quote(text))")
        }
        let cleaned = text.replacingOccurrences(of: "_", with: "")
        if let value = parseInteger(cleaned) {
            number.intValue = value
            number.floatValue = Double(value)
            return number
        }
        if let value = parseUnsigned(cleaned) {
            number.floatValue = Double(value)
            return number
        }
        if let value = Double(cleaned.hasSuffix(".") ? cleaned + "0" : cleaned), value.isFinite {
            guard text.contains(where: { ".eEpP".contains($0) }) else {
                throw Failure(message: "integer overflow: \(GoText.quote(text))")
            }
            number.floatValue = value
            if value.rounded() == value, abs(value) < 9.2e18 { number.intValue = Int64(value) }
            return number
        }
        throw Failure(message: "illegal number syntax: \(GoText.quote(text))")
    }

    private static func splitBase(_ text: Substring) -> (radix: Int, digits: Substring) {
        let lower = text.lowercased()
        if lower.hasPrefix("0x") { return (16, text.dropFirst(2)) }
        if lower.hasPrefix("0o") { return (8, text.dropFirst(2)) }
        if lower.hasPrefix("0b") { return (2, text.dropFirst(2)) }
        if text.count > 1 && text.hasPrefix("0") { return (8, text.dropFirst(1)) }
        return (10, text)
    }

    private static func parseInteger(_ text: String) -> Int64? {
        var body = Substring(text)
        var negative = false
        if let sign = body.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            body = body.dropFirst()
        }
        let (radix, digits) = splitBase(body)
        guard !digits.isEmpty, let magnitude = UInt64(digits, radix: radix) else { return nil }
        if negative {
            return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil
        }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    private static func parseUnsigned(_ text: String) -> UInt64? {
        var body = Substring(text)
        if body.first == "+" { body = body.dropFirst() }
        let (radix, digits) = splitBase(body)
        guard !digits.isEmpty else { return nil }
        return UInt64(digits, radix: radix)
    }
}
