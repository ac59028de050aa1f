/// A `WWW-Authenticate` challenge from a registry (RFC 7235): `Bearer realm="…",service="…",scope="…"`
/// or `Basic realm="…"`.
public struct AuthChallenge: Sendable, Hashable {
    public enum Scheme: Sendable, Hashable { case bearer, basic }
    public let scheme: Scheme
    public let parameters: [String: String]

    public var realm: String? { parameters["realm"] }
    public var service: String? { parameters["service"] }
    public var scope: String? { parameters["scope"] }

    /// Parses the first Bearer or Basic challenge in a header value; nil for other schemes.
    public static func parse(_ header: String) -> AuthChallenge? {
        let trimmed = header.drop { $0 == " " }
        guard let space = trimmed.firstIndex(of: " ") ?? (trimmed.isEmpty ? nil : trimmed.endIndex) else { return nil }
        let scheme: Scheme
        switch trimmed[..<space].lowercased() {
        case "bearer": scheme = .bearer
        case "basic": scheme = .basic
        default: return nil
        }
        return AuthChallenge(scheme: scheme, parameters: parseParameters(trimmed[space...]))
    }

    /// `k="v", k2=v2` with quoted strings and backslash escapes.
    static func parseParameters(_ s: Substring) -> [String: String] {
        var out: [String: String] = [:]
        var i = s.startIndex
        func skip(_ chars: Set<Character>) { while i < s.endIndex, chars.contains(s[i]) { i = s.index(after: i) } }
        while i < s.endIndex {
            skip([" ", ","])
            let keyStart = i
            while i < s.endIndex, s[i] != "=", s[i] != "," { i = s.index(after: i) }
            let key = s[keyStart..<i].trimmingSpaces().lowercased()
            guard i < s.endIndex, s[i] == "=" else { continue }
            i = s.index(after: i)
            skip([" "])
            var value = ""
            if i < s.endIndex, s[i] == "\"" {
                i = s.index(after: i)
                while i < s.endIndex, s[i] != "\"" {
                    if s[i] == "\\", s.index(after: i) < s.endIndex { i = s.index(after: i) }
                    value.append(s[i])
                    i = s.index(after: i)
                }
                if i < s.endIndex { i = s.index(after: i) }
            } else {
                let start = i
                while i < s.endIndex, s[i] != "," { i = s.index(after: i) }
                value = s[start..<i].trimmingSpaces()
            }
            if !key.isEmpty { out[key] = value }
        }
        return out
    }
}

extension Substring {
    func trimmingSpaces() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
