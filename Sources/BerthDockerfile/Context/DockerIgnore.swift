/// A build context's `.dockerignore` with moby/patternmatcher's semantics: Go filepath.Match syntax plus
/// `**`, `!` exceptions where later lines win, leading `/` dropped, patterns and paths cleaned, and a path
/// excluded when it or one of its parent directories matches.
public struct DockerIgnore: Sendable, Equatable {
    /// The patterns as patternmatcher receives them (cleaned, `!` kept in front of exceptions).
    public var patterns: [String]
    /// Patterns that are not valid (e.g. an unterminated `[`): Docker fails the build on them.
    public private(set) var invalidPatterns: [String] = []
    private var compiled: [PathPattern] = []

    public init(_ text: String) {
        var patterns: [String] = []
        var first = true
        for raw in text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false) {
            var line = String(decoding: raw, as: UTF8.self)
            if first, line.hasPrefix("\u{FEFF}") { line.removeFirst() }
            first = false
            if line.hasPrefix("#") { continue }
            var pattern = line.trimmingSpace()
            if pattern.isEmpty { continue }
            let invert = pattern.hasPrefix("!")
            if invert { pattern = String(pattern.dropFirst()).trimmingSpace() }
            if !pattern.isEmpty {
                pattern = GoPath.clean(pattern)
                if pattern.count > 1, pattern.hasPrefix("/") { pattern.removeFirst() }
            }
            patterns.append(invert ? "!" + pattern : pattern)
        }
        self.init(patterns: patterns)
    }

    /// Already-split patterns, as patternmatcher.New takes them.
    public init(patterns: [String]) {
        self.patterns = patterns
        for raw in patterns {
            var pattern = raw.trimmingSpace()
            if pattern.isEmpty { continue }
            pattern = GoPath.clean(pattern)
            var exclusion = false
            if pattern.hasPrefix("!") {
                exclusion = true
                pattern.removeFirst()
                if pattern.isEmpty { invalidPatterns.append(raw); continue }
            }
            guard let compiledPattern = PathPattern(pattern, exclusion: exclusion) else {
                invalidPatterns.append(raw)
                continue
            }
            compiled.append(compiledPattern)
        }
    }

    /// Whether `relativePath` ("dir/file", relative to the context root) is left out of the context.
    public func isExcluded(_ relativePath: String) -> Bool {
        let file = GoPath.clean(relativePath)
        if file == "." { return false }
        let parent = GoPath.dir(file)
        let parentDirs = parent == "." ? [] : parent.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var matched = false
        for pattern in compiled where pattern.exclusion == matched {
            var match = pattern.matches(file)
            if !match {
                var prefix = ""
                for dir in parentDirs {
                    prefix = prefix.isEmpty ? dir : prefix + "/" + dir
                    if pattern.matches(prefix) { match = true; break }
                }
            }
            if match { matched = !pattern.exclusion }
        }
        return matched
    }

    /// Whether an exception (`!pattern`) might re-include something beneath `directory`, so a walker
    /// that found the directory excluded must still descend into it.
    public func mayReinclude(under directory: String) -> Bool {
        let dir = GoPath.clean(directory)
        let dirSlash = dir == "." ? "" : dir + "/"
        return compiled.contains { pattern in
            guard pattern.exclusion else { return false }
            let literal = pattern.literalPrefix
            return literal.hasPrefix(dirSlash) || dirSlash.hasPrefix(literal)
        }
    }

    public static func == (a: DockerIgnore, b: DockerIgnore) -> Bool { a.patterns == b.patterns }
}

/// One cleaned pattern, matched as patternmatcher does: exact, prefix (`foo**`), suffix (`**foo`) or
/// the general form, which is walked with a table over (pattern token × path position), never backtracking.
struct PathPattern: Sendable {
    enum Kind: Sendable { case exact, prefix, suffix, general }
    enum Token: Sendable, Equatable {
        case literal(Unicode.Scalar)
        case oneNotSlash
        case starNotSlash
        case anything
        case anyDirectories
        case set(negated: Bool, items: [ClosedRange<Unicode.Scalar>])
    }

    let cleaned: String
    let exclusion: Bool
    private(set) var kind = Kind.exact
    private(set) var tokens: [Token] = []
    /// The pattern's text before its first wildcard.
    private(set) var literalPrefix = ""

    init?(_ pattern: String, exclusion: Bool) {
        cleaned = pattern
        self.exclusion = exclusion
        let s = Array(pattern.unicodeScalars)
        var i = 0
        var sawWildcard = false
        var prefix = String.UnicodeScalarView()
        var index = 0
        while i < s.count {
            let c = s[i]
            i += 1
            defer { index += 1 }
            if c == "*" || c == "?" || c == "[" || c == "\\" { sawWildcard = true }
            if !sawWildcard { prefix.append(c) }
            switch c {
            case "*":
                if i < s.count, s[i] == "*" {
                    i += 1
                    if i < s.count, s[i] == "/" { i += 1 }
                    if i == s.count {
                        if kind == .exact { kind = .prefix } else { kind = .general }
                        tokens.append(.anything)
                    } else {
                        tokens.append(.anyDirectories)
                        kind = .general
                    }
                    if index == 0 { kind = .suffix }
                } else {
                    tokens.append(.starNotSlash)
                    kind = .general
                }
            case "?":
                tokens.append(.oneNotSlash)
                kind = .general
            case "\\":
                if i < s.count {
                    tokens.append(.literal(s[i]))
                    i += 1
                    kind = .general
                } else {
                    tokens.append(.literal("\\"))
                }
            case "[":
                guard let (set, end) = Self.parseSet(s, from: i) else { return nil }
                tokens.append(set)
                i = end
                kind = .general
            default:
                tokens.append(.literal(c))
            }
        }
        literalPrefix = String(prefix)
    }

    /// `[...]` as Go's regexp reads it (negation with `^`, ranges, `\` quoting); nil when unterminated.
    private static func parseSet(_ s: [Unicode.Scalar], from start: Int) -> (Token, Int)? {
        var i = start
        var negated = false
        if i < s.count, s[i] == "^" { negated = true; i += 1 }
        var items: [ClosedRange<Unicode.Scalar>] = []
        var first = true
        while i < s.count {
            var c = s[i]
            if c == "]" && !first { return (.set(negated: negated, items: items), i + 1) }
            first = false
            i += 1
            if c == "\\" {
                guard i < s.count else { return nil }
                c = s[i]
                i += 1
            }
            if i + 1 < s.count, s[i] == "-", s[i + 1] != "]" {
                var upper = s[i + 1]
                i += 2
                if upper == "\\" {
                    guard i < s.count else { return nil }
                    upper = s[i]
                    i += 1
                }
                guard c <= upper else { return nil }
                items.append(c...upper)
            } else {
                items.append(c...c)
            }
        }
        return nil
    }

    func matches(_ path: String) -> Bool {
        switch kind {
        case .exact:
            return path == cleaned
        case .prefix:
            return path.hasPrefix(String(cleaned.dropLast(2)))
        case .suffix:
            let suffix = String(cleaned.dropFirst(2))
            if path.hasSuffix(suffix) { return true }
            return suffix.hasPrefix("/") && path == String(suffix.dropFirst())
        case .general:
            return matchesTokens(Array(path.unicodeScalars))
        }
    }

    private func matchesTokens(_ p: [Unicode.Scalar]) -> Bool {
        let n = p.count
        // table[j] for the tokens from i on; filled from the last token back.
        var after = [Bool](repeating: false, count: n + 1)
        after[n] = true
        for token in tokens.reversed() {
            var current = [Bool](repeating: false, count: n + 1)
            switch token {
            case .literal(let c):
                for j in 0..<n { current[j] = p[j] == c && after[j + 1] }
            case .oneNotSlash:
                for j in 0..<n { current[j] = p[j] != "/" && after[j + 1] }
            case .set(let negated, let items):
                for j in 0..<n {
                    let inSet = items.contains { $0.contains(p[j]) }
                    current[j] = inSet != negated && after[j + 1]
                }
            case .starNotSlash:
                current[n] = after[n]
                for j in stride(from: n - 1, through: 0, by: -1) {
                    current[j] = after[j] || (p[j] != "/" && current[j + 1])
                }
            case .anything:
                current[n] = after[n]
                for j in stride(from: n - 1, through: 0, by: -1) { current[j] = after[j] || current[j + 1] }
            case .anyDirectories:
                var slashAhead = false
                current[n] = after[n]
                for j in stride(from: n - 1, through: 0, by: -1) {
                    slashAhead = slashAhead || (p[j] == "/" && after[j + 1])
                    current[j] = after[j] || slashAhead
                }
            }
            after = current
        }
        return after[0]
    }
}

/// Go's path.Clean and path.Dir for slash-separated paths.
enum GoPath {
    static func clean(_ path: String) -> String {
        if path.isEmpty { return "." }
        let rooted = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..":
                if let last = parts.last, last != ".." { parts.removeLast() } else if !rooted { parts.append(part) }
            default: parts.append(part)
            }
        }
        let joined = parts.joined(separator: "/")
        if rooted { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    static func dir(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return clean(String(path[...slash]))
    }
}
