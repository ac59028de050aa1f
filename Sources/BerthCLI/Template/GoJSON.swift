/// `encoding/json` output as produced by docker/cli's `json` template function
/// (an `Encoder` with `SetEscapeHTML(false)`, trailing newline trimmed).
enum GoJSON {
    /// Compact JSON, or `nil` when Go would fail to encode (NaN or infinite numbers).
    static func encode(_ value: TemplateValue?) -> String? {
        var out = ""
        return append(value ?? .null, to: &out) ? out : nil
    }

    private static func append(_ value: TemplateValue, to out: inout String) -> Bool {
        switch value {
        case .null: out += "null"
        case let .bool(flag): out += flag ? "true" : "false"
        case let .int(number): out += String(number)
        case let .double(number):
            guard let text = GoFloatFormat.json(number) else { return false }
            out += text
        case let .string(text): appendString(text, to: &out)
        case let .array(items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                guard append(item, to: &out) else { return false }
            }
            out += "]"
        case let .object(pairs):
            out += "{"
            for (index, pair) in pairs.enumerated() {
                if index > 0 { out += "," }
                appendString(pair.0, to: &out)
                out += ":"
                guard append(pair.1, to: &out) else { return false }
            }
            out += "}"
        }
        return true
    }

    private static func appendString(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\u{2028}", "\u{2029}": out += "\\u" + GoText.hex(scalar.value, width: 4)
            default:
                if scalar.value < 0x20 {
                    out += "\\u" + GoText.hex(scalar.value, width: 4)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
