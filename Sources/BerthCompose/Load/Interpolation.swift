/// Compose's variable interpolation (compose-go's template package): `$VAR`, `${VAR}`,
/// `${VAR:-default}` / `${VAR-default}`, `${VAR:?error}` / `${VAR?error}`, `${VAR:+alt}` /
/// `${VAR+alt}`, nested in the default, and `$$` for a literal `$`. Unlike a shell (and unlike
/// BerthDockerfile's `VariableExpander`, which follows BuildKit's shell lexer) quotes and
/// backslashes mean nothing here, and a `$` followed by anything else is an error.
public struct Interpolation {
    /// The variables: the process environment over the `.env` file.
    public var variables: [String: String]
    /// Variables used while unset (docker compose warns and uses "").
    public private(set) var unset: Set<String> = []

    public init(variables: [String: String]) { self.variables = variables }

    /// Problems in one string.
    public enum Failure: Error, Equatable {
        case invalid(String)
        case required(variable: String, message: String)

        var problem: String {
            switch self {
            case .invalid(let text): return "invalid interpolation format for \(text.debugDescription); you may need to escape any $ with another $"
            case .required(let name, let message):
                return "required variable \(name) is missing a value" + (message.isEmpty ? "" : ": \(message)")
            }
        }
    }

    /// `text` with every expression replaced.
    public mutating func expand(_ text: String) throws(Failure) -> String {
        guard text.utf8.contains(UInt8(ascii: "$")) else { return text }
        let bytes = Array(text.utf8)
        var i = 0
        let out = try expand(bytes, &i, live: true, inBraces: false, depth: 0, whole: text)
        return String(decoding: out, as: UTF8.self)
    }

    /// Every string scalar of `node` expanded (keys are not); `path` names a failing value.
    mutating func expand(_ node: YAMLNode, path: [String] = [], file: String) throws -> YAMLNode {
        switch node {
        case .scalar(let s) where s.kind == .string:
            do {
                return .scalar(YAMLScalar(try expand(s.text), .string))
            } catch {
                throw ComposeError.interpolation(file: file, path: path.joined(separator: "."), problem: error.problem)
            }
        case .scalar: return node
        case .sequence(let items):
            var out: [YAMLNode] = []
            out.reserveCapacity(items.count)
            for (n, item) in items.enumerated() { out.append(try expand(item, path: path + [String(n)], file: file)) }
            return .sequence(out)
        case .mapping(let m):
            var out = YAMLMapping()
            out.entries.reserveCapacity(m.entries.count)
            for entry in m.entries {
                // x- extensions are kept as written (compose does not interpolate them either).
                let value = entry.key.hasPrefix("x-") ? entry.value : try expand(entry.value, path: path + [entry.key], file: file)
                out.entries.append(.init(key: entry.key, value: value))
            }
            return .mapping(out)
        }
    }

    private static let dollar = UInt8(ascii: "$"), open = UInt8(ascii: "{"), close = UInt8(ascii: "}"), colon = UInt8(ascii: ":")

    private static func isNameStart(_ b: UInt8) -> Bool { b == UInt8(ascii: "_") || (b | 0x20 >= UInt8(ascii: "a") && b | 0x20 <= UInt8(ascii: "z")) }
    private static func isName(_ b: UInt8) -> Bool { isNameStart(b) || (b >= 48 && b <= 57) }

    /// Expands from `i` to the end, or (inBraces) to the `}` that closes the current `${`, which
    /// is left at `i`. With `live` false it only checks the syntax (an unused default).
    private mutating func expand(_ b: [UInt8], _ i: inout Int, live: Bool, inBraces: Bool, depth: Int, whole: String) throws(Failure) -> [UInt8] {
        guard depth < 32 else { throw .invalid(whole) }
        var out: [UInt8] = []
        while i < b.count {
            let c = b[i]
            if inBraces && c == Self.close { return out }
            guard c == Self.dollar else { out.append(c); i += 1; continue }
            i += 1
            guard i < b.count else { throw .invalid(whole) }
            if b[i] == Self.dollar {
                out.append(Self.dollar)
                i += 1
            } else if Self.isNameStart(b[i]) {
                let start = i
                while i < b.count, Self.isName(b[i]) { i += 1 }
                if live { out += value(String(decoding: b[start..<i], as: UTF8.self)) }
            } else if b[i] == Self.open {
                i += 1
                let start = i
                while i < b.count, Self.isName(b[i]) { i += 1 }
                guard i > start, Self.isNameStart(b[start]), i < b.count else { throw .invalid(whole) }
                let name = String(decoding: b[start..<i], as: UTF8.self)
                if b[i] == Self.close {
                    i += 1
                    if live { out += value(name) }
                    continue
                }
                var emptyCounts = false
                if b[i] == Self.colon { emptyCounts = true; i += 1 }
                guard i < b.count else { throw .invalid(whole) }
                let op = b[i]
                guard op == UInt8(ascii: "-") || op == UInt8(ascii: "?") || op == UInt8(ascii: "+") else { throw .invalid(whole) }
                i += 1
                let current = variables[name]
                let isSet = emptyCounts ? !(current ?? "").isEmpty : current != nil
                let useWord: Bool
                switch op {
                case UInt8(ascii: "-"): useWord = !isSet
                case UInt8(ascii: "+"): useWord = isSet
                default: useWord = !isSet
                }
                let word = try expand(b, &i, live: live && useWord, inBraces: true, depth: depth + 1, whole: whole)
                guard i < b.count, b[i] == Self.close else { throw .invalid(whole) }
                i += 1
                guard live else { continue }
                switch op {
                case UInt8(ascii: "?"):
                    if !isSet { throw .required(variable: name, message: String(decoding: word, as: UTF8.self)) }
                    out += Array((current ?? "").utf8)
                case UInt8(ascii: "+"):
                    if isSet { out += word }
                default:
                    out += isSet ? Array((current ?? "").utf8) : word
                }
            } else {
                throw .invalid(whole)
            }
        }
        if inBraces { throw .invalid(whole) }
        return out
    }

    private mutating func value(_ name: String) -> [UInt8] {
        if let v = variables[name] { return Array(v.utf8) }
        unset.insert(name)
        return []
    }
}
