/// Typed reads of `YAMLNode`s that fail with docker compose's wording and the key path
/// ("services.web.ports.0 must be a string or number").
struct NodeReader {
    let file: String

    func fail(_ path: [String], _ problem: String) -> ComposeError {
        .invalid(file: file, path: path.joined(separator: "."), problem: problem)
    }

    func mapping(_ node: YAMLNode, _ path: [String]) throws -> YAMLMapping {
        guard case .mapping(let m) = node else { throw fail(path, "must be a mapping") }
        return m
    }

    /// Refuses keys outside `allowed` (extensions `x-…` are ignored, as the spec says) and names
    /// the specification's keys berth does not implement yet.
    func checkKeys(_ m: YAMLMapping, _ path: [String], allowed: Set<String>, unsupported: Set<String> = []) throws {
        for entry in m.entries where !allowed.contains(entry.key) && !entry.key.hasPrefix("x-") {
            if unsupported.contains(entry.key) { throw ComposeError.unsupported(file: file, path: (path + [entry.key]).joined(separator: ".")) }
            throw fail(path, "additional properties '\(entry.key)' not allowed")
        }
    }

    func string(_ node: YAMLNode, _ path: [String]) throws -> String {
        guard case .scalar(let s) = node, s.kind == .string else { throw fail(path, "must be a string") }
        return s.text
    }

    func stringOrNumber(_ node: YAMLNode, _ path: [String]) throws -> String {
        guard case .scalar(let s) = node, [.string, .int, .float].contains(s.kind) else { throw fail(path, "must be a string or number") }
        return s.text
    }

    /// A scalar that becomes a string value (environment, labels, args): null stays nil.
    func scalarValue(_ node: YAMLNode, _ path: [String]) throws -> String? {
        guard case .scalar(let s) = node else { throw fail(path, "must be a string, number, boolean or null") }
        return s.kind == .null ? nil : s.text
    }

    func bool(_ node: YAMLNode, _ path: [String]) throws -> Bool {
        if case .scalar(let s) = node {
            switch s.text.lowercased() {
            case "true" where s.kind != .null: return true
            case "false" where s.kind != .null: return false
            default: break
            }
        }
        throw fail(path, "must be a boolean")
    }

    /// A YAML integer in any of its forms; a string (quoted, or what interpolation made) in
    /// base 10 only, as compose-go converts one (`"010"` is 10).
    func int(_ node: YAMLNode, _ path: [String]) throws -> Int {
        guard case .scalar(let s) = node else { throw fail(path, "must be an integer") }
        switch s.kind {
        case .int: if let n = Self.integer(s.text) { return n }
        case .string: if let n = Int(s.text) { return n }
        default: break
        }
        throw fail(path, "must be an integer")
    }

    /// An integer spelled as compose's YAML reader (yaml.v3, YAML 1.1) reads one: `_` separators
    /// dropped, then decimal, `0x1F`, `0o17`, `0b101`, or a leading 0 for octal (`01777` is 1023).
    static func integer(_ text: String) -> Int? {
        var digits = Substring(text.replacingOccurrences(of: "_", with: ""))
        var negative = false
        if let sign = digits.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        var radix = 10
        let prefix = digits.prefix(2).lowercased()
        if prefix == "0x" { radix = 16 } else if prefix == "0o" { radix = 8 } else if prefix == "0b" { radix = 2 }
        if radix != 10 {
            digits = digits.dropFirst(2)
        } else if digits.count > 1, digits.first == "0" {
            radix = 8
            digits = digits.dropFirst()
        }
        guard let first = digits.first, first != "-", first != "+", let magnitude = Int(digits, radix: radix) else { return nil }
        return negative ? -magnitude : magnitude
    }

    func stringList(_ node: YAMLNode, _ path: [String]) throws -> [String] {
        guard case .sequence(let items) = node else { throw fail(path, "must be an array") }
        return try items.enumerated().map { try string($0.element, path + [String($0.offset)]) }
    }

    func stringOrList(_ node: YAMLNode, _ path: [String]) throws -> [String] {
        if case .scalar(let s) = node, s.kind == .string { return [s.text] }
        guard case .sequence = node else { throw fail(path, "must be a string or an array") }
        return try stringList(node, path)
    }

    /// A `list_or_dict` (environment, labels, args, extra_hosts): `KEY=VALUE` items or a mapping.
    /// A list item without `separator` has no value (nil).
    func listOrDict(_ node: YAMLNode, _ path: [String], separators: Set<Character> = ["="]) throws -> [(key: String, value: String?)] {
        switch node {
        case .mapping(let m):
            return try m.entries.map { ($0.key, try scalarValue($0.value, path + [$0.key])) }
        case .sequence(let items):
            return try items.enumerated().map { n, item in
                let text = try stringOrNumber(item, path + [String(n)])
                guard let sep = text.firstIndex(where: { separators.contains($0) }) else { return (text, nil) }
                return (String(text[..<sep]), String(text[text.index(after: sep)...]))
            }
        default:
            throw fail(path, "must be a mapping or an array")
        }
    }
}
