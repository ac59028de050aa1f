/// A YAML node as compose reads it: aliases and merge keys (`<<`) already resolved, mappings in
/// document order with string keys, plain scalars typed by YAML 1.2's core schema.
public enum YAMLNode: Sendable, Equatable {
    case scalar(YAMLScalar)
    case sequence([YAMLNode])
    case mapping(YAMLMapping)

    /// What the node is, for error messages ("a mapping", "a string", ...).
    var kindName: String {
        switch self {
        case .scalar(let s): return s.kind.name
        case .sequence: return "an array"
        case .mapping: return "a mapping"
        }
    }
}

/// A scalar's text and the type its spelling gives it.
public struct YAMLScalar: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case string, int, float, bool, null
        var name: String {
            switch self {
            case .string: return "a string"
            case .int, .float: return "a number"
            case .bool: return "a boolean"
            case .null: return "null"
            }
        }
    }
    public var text: String
    public var kind: Kind

    public init(_ text: String, _ kind: Kind = .string) {
        self.text = text
        self.kind = kind
    }

    /// The core schema's type of a plain (unquoted, untagged) scalar.
    static func resolvePlain(_ text: String) -> Kind {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE", "false", "False", "FALSE": return .bool
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN": return .float
        default: break
        }
        var bytes = Substring(text).utf8[...]
        if bytes.first == UInt8(ascii: "-") || bytes.first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
        let isDigit = { (b: UInt8) in b >= 48 && b <= 57 }
        if !bytes.isEmpty, bytes.allSatisfy(isDigit) { return .int }
        if text.hasPrefix("0x"), text.count > 2, text.dropFirst(2).allSatisfy(\.isHexDigit) { return .int }
        if text.hasPrefix("0o"), text.count > 2, text.dropFirst(2).allSatisfy({ ("0"..."7").contains($0) }) { return .int }
        // [0-9]*(\.[0-9]*)?([eE][-+]?[0-9]+)? with at least one digit before the exponent.
        var i = bytes.startIndex
        var mantissaDigits = 0
        while i < bytes.endIndex, isDigit(bytes[i]) { mantissaDigits += 1; i = bytes.index(after: i) }
        var sawDot = false
        if i < bytes.endIndex, bytes[i] == UInt8(ascii: ".") {
            sawDot = true
            i = bytes.index(after: i)
            while i < bytes.endIndex, isDigit(bytes[i]) { mantissaDigits += 1; i = bytes.index(after: i) }
        }
        guard mantissaDigits > 0 else { return .string }
        var sawExponent = false
        if i < bytes.endIndex, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i = bytes.index(after: i)
            if i < bytes.endIndex, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") { i = bytes.index(after: i) }
            var expDigits = 0
            while i < bytes.endIndex, isDigit(bytes[i]) { expDigits += 1; i = bytes.index(after: i) }
            guard expDigits > 0 else { return .string }
            sawExponent = true
        }
        return i == bytes.endIndex && (sawDot || sawExponent) ? .float : .string
    }
}

/// A mapping's entries in document order; keys are unique.
public struct YAMLMapping: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var key: String
        public var value: YAMLNode
    }
    public var entries: [Entry]

    public init(_ entries: [Entry] = []) { self.entries = entries }

    public subscript(key: String) -> YAMLNode? {
        entries.first { $0.key == key }?.value
    }
}
