/// A document to print: mappings keep the order they are given in.
indirect enum OutputNode {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case null
    case list([OutputNode])
    case map([(String, OutputNode)])
    /// A mapping printed as `{}` when empty (compose prints `volume: {}`).
    static let emptyMap = OutputNode.map([])
}

/// Prints `OutputNode`s the way docker compose's YAML encoder (yaml.v3, indent 2) does: block
/// style, sequences indented under their key, strings plain unless YAML would read them as
/// something else, then double-quoted.
enum YAMLWriter {
    static func write(_ node: OutputNode) -> String {
        var out = ""
        if case .map(let entries) = node, !entries.isEmpty {
            writeEntries(entries, indent: 0, into: &out)
        } else {
            out = inline(node) + "\n"
        }
        return out
    }

    private static func writeEntries(_ entries: [(String, OutputNode)], indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for (key, value) in entries {
            out += pad + scalar(key) + ":"
            writeValue(value, indent: indent, into: &out)
        }
    }

    /// After "key:" or "- ": the value inline, or on the lines below.
    private static func writeValue(_ value: OutputNode, indent: Int, into out: inout String) {
        switch value {
        case .map(let entries) where !entries.isEmpty:
            out += "\n"
            writeEntries(entries, indent: indent + 2, into: &out)
        case .list(let items) where !items.isEmpty:
            out += "\n"
            let pad = String(repeating: " ", count: indent + 2)
            for item in items {
                out += pad + "-"
                switch item {
                case .map(let entries) where !entries.isEmpty:
                    // The first entry on the dash's line, the rest aligned under it.
                    var nested = ""
                    writeEntries(entries, indent: indent + 4, into: &nested)
                    out += " " + nested.dropFirst(indent + 4)
                case .list(let inner) where !inner.isEmpty:
                    writeValue(item, indent: indent + 2, into: &out)
                default:
                    out += " " + inline(item) + "\n"
                }
            }
        default:
            out += " " + inline(value) + "\n"
        }
    }

    private static func inline(_ node: OutputNode) -> String {
        switch node {
        case .string(let s): return scalar(s)
        case .int(let n): return String(n)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .list: return "[]"
        case .map: return "{}"
        }
    }

    /// A string as YAML: plain when that reads back as the same string, else double-quoted.
    static func scalar(_ s: String) -> String {
        needsQuotes(s) ? quoted(s) : s
    }

    private static func needsQuotes(_ s: String) -> Bool {
        guard let first = s.first, let last = s.last else { return true }
        if YAMLScalar.resolvePlain(s) != .string { return true }
        if ["y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "<<", "="].contains(s) { return true }
        if first == " " || last == " " || "-?:,[]{}#&*!|>'\"%@`".contains(first) { return true }
        if s.contains(": ") || s.contains(" #") || s.hasSuffix(":") { return true }
        return s.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f || $0 == "\u{FEFF}" || ($0.value >= 0x80 && $0.value < 0xa0) }
    }

    private static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if u.value < 0x20 || u.value == 0x7f || (u.value >= 0x80 && u.value < 0xa0) || u == "\u{FEFF}" {
                    out += "\\u" + String(repeating: "0", count: 4 - String(u.value, radix: 16).count) + String(u.value, radix: 16)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
