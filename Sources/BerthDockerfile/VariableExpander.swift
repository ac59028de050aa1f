/// Docker's shell-word processing (BuildKit's shell lexer): `$a`, `${a}`, `${a:-b}`, `${a-b}`, `${a:+b}`,
/// `${a+b}`, `${a:?msg}`, `${a?msg}`, `${a#p}`, `${a##p}`, `${a%p}`, `${a%%p}`, `${a/p/r}`, `${a//p/r}`,
/// single quotes (literal), double quotes and the escape character. Unknown variables expand to "".
public struct VariableExpander: Sendable {
    public var variables: [String: String]
    public var escape: Character

    public init(variables: [String: String], escape: Character = "\\") {
        self.variables = variables
        self.escape = escape
    }

    /// One word with quotes removed and variables substituted (ENV and LABEL values, WORKDIR, USER, COPY paths...).
    public func expand(_ word: String) throws(DockerfileError) -> String {
        var lexer = lexer(word)
        return try lexer.process().result
    }

    /// The words `text` makes after expansion: split on white space outside quotes, including white space
    /// that came from a variable's value (EXPOSE, VOLUME, ...).
    public func expandWords(_ text: String) throws(DockerfileError) -> [String] {
        var lexer = lexer(text)
        return try lexer.process().words
    }

    private func lexer(_ text: String) -> ShellLexer {
        ShellLexer(Array(text.unicodeScalars), variables: variables, escape: escape.unicodeScalars.first ?? "\\")
    }
}

/// The word scanner behind `VariableExpander`.
private struct ShellLexer {
    private let s: [Unicode.Scalar]
    private var pos = 0
    private let variables: [String: String]
    private let escape: Unicode.Scalar
    private var depth = 0
    private let source: String
    static let maxDepth = 64

    init(_ scalars: [Unicode.Scalar], variables: [String: String], escape: Unicode.Scalar) {
        s = scalars
        self.variables = variables
        self.escape = escape
        source = String(String.UnicodeScalarView(scalars))
    }

    private var peek: Unicode.Scalar? { pos < s.count ? s[pos] : nil }
    private mutating func next() -> Unicode.Scalar? {
        guard pos < s.count else { return nil }
        defer { pos += 1 }
        return s[pos]
    }

    private func failure(_ message: String) -> DockerfileError {
        DockerfileError(message: "failed to process \"\(source)\": \(message)")
    }

    mutating func process() throws(DockerfileError) -> (result: String, words: [String]) {
        let (result, words) = try processUntil(nil, rawEscapes: false)
        return (result, words)
    }

    /// Collects words as the lexer emits them: characters from variables split on white space, quoted ones never.
    private struct WordCollector {
        var word = String.UnicodeScalarView()
        var words: [String] = []
        var inWord = false

        mutating func add(_ c: Unicode.Scalar) {
            if isSpace(c) {
                if inWord, !word.isEmpty {
                    words.append(String(word))
                    word = String.UnicodeScalarView()
                    inWord = false
                }
            } else {
                addRaw(c)
            }
        }
        mutating func addRaw(_ c: Unicode.Scalar) { word.append(c); inWord = true }
        mutating func add(_ s: String) { for c in s.unicodeScalars { add(c) } }
        mutating func addRaw(_ s: String) { word.append(contentsOf: s.unicodeScalars); inWord = true }
        mutating func finish() -> [String] {
            if !word.isEmpty { words.append(String(word)); word = String.UnicodeScalarView(); inWord = false }
            return words
        }
    }

    private mutating func processUntil(_ stop: Unicode.Scalar?, rawEscapes: Bool) throws(DockerfileError) -> (String, [String]) {
        var result = String.UnicodeScalarView()
        var words = WordCollector()
        while let c = peek {
            if let stop, c == stop {
                pos += 1
                return (String(result), words.finish())
            }
            switch c {
            case "$":
                let value = try dollar()
                result.append(contentsOf: value.unicodeScalars)
                words.add(value)
            case "'":
                let value = try singleQuoted()
                result.append(contentsOf: value.unicodeScalars)
                words.addRaw(value)
            case "\"":
                let value = try doubleQuoted(rawEscapes: rawEscapes)
                result.append(contentsOf: value.unicodeScalars)
                words.addRaw(value)
            default:
                pos += 1
                if c == escape {
                    if rawEscapes { words.addRaw(c); result.append(c) }
                    guard let escaped = next() else { break }
                    words.addRaw(escaped)
                    result.append(escaped)
                } else {
                    words.add(c)
                    result.append(c)
                }
            }
        }
        if let stop { throw failure("unexpected end of statement while looking for matching \(Character(stop))") }
        return (String(result), words.finish())
    }

    private mutating func singleQuoted() throws(DockerfileError) -> String {
        pos += 1
        var result = String.UnicodeScalarView()
        while true {
            guard let c = next() else { throw failure("unexpected end of statement while looking for matching single-quote") }
            if c == "'" { return String(result) }
            result.append(c)
        }
    }

    private mutating func doubleQuoted(rawEscapes: Bool) throws(DockerfileError) -> String {
        pos += 1
        var result = String.UnicodeScalarView()
        while true {
            guard let c = peek else { throw failure("unexpected end of statement while looking for matching double-quote") }
            if c == "\"" { pos += 1; return String(result) }
            if c == "$" {
                result.append(contentsOf: try dollar().unicodeScalars)
                continue
            }
            pos += 1
            var ch = c
            if c == escape {
                if rawEscapes { result.append(c) }
                guard let following = peek else { continue }
                if following == "\"" || following == "$" || following == escape {
                    ch = following
                    pos += 1
                }
            }
            result.append(ch)
        }
    }

    private mutating func dollar() throws(DockerfileError) -> String {
        pos += 1
        guard peek == "{" else {
            let name = self.name()
            return name.isEmpty ? "$" : variables[name] ?? ""
        }
        pos += 1
        switch peek {
        case nil: throw failure("syntax error: missing '}'")
        case "{", "}", ":": throw failure("syntax error: bad substitution")
        default: break
        }
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { throw failure("substitutions nested more than \(Self.maxDepth) deep") }
        let name = self.name()
        guard var modifier = next() else { throw failure("syntax error: missing '}'") }
        let value = variables[name]
        var nullIsUnset = false
        switch modifier {
        case "}":
            return value ?? ""
        case ":":
            nullIsUnset = true
            guard let m = next() else { throw failure("syntax error: missing '}'") }
            modifier = m
            guard "+-?".unicodeScalars.contains(m) else { throw failure("unsupported modifier (:\(Character(m))) in substitution") }
            fallthrough
        case "+", "-", "?", "#", "%":
            let word = try substitutionWord(until: "}", rawEscapes: modifier == "#" || modifier == "%")
            let unset = value == nil || (nullIsUnset && value == "")
            switch modifier {
            case "-": return unset ? word : value ?? ""
            case "+": return unset ? "" : word
            case "?":
                guard let value else { throw failure("\(name): " + (word.isEmpty ? "is not allowed to be unset" : word)) }
                if nullIsUnset && value.isEmpty { throw failure("\(name): " + (word.isEmpty ? "is not allowed to be empty" : word)) }
                return value
            default:
                var pattern = Substring(word)
                let greedy = pattern.unicodeScalars.first == modifier
                if greedy { pattern = pattern.dropFirst() }
                let glob = try ShellPattern(String(pattern), failure: failure)
                return modifier == "#" ? glob.trimPrefix(of: value ?? "", greedy: greedy)
                                       : glob.trimSuffix(of: value ?? "", greedy: greedy)
            }
        case "/":
            let all = peek == "/"
            if all { pos += 1 }
            let pattern = try substitutionWord(until: "/", rawEscapes: true)
            let replacement = try substitutionWord(until: "}", rawEscapes: true)
            let glob = try ShellPattern(pattern, failure: failure)
            return glob.replace(in: value ?? "", with: replacement, all: all)
        default:
            throw failure("unsupported modifier (\(Character(modifier))) in substitution")
        }
    }

    private mutating func substitutionWord(until stop: Unicode.Scalar, rawEscapes: Bool) throws(DockerfileError) -> String {
        do {
            return try processUntil(stop, rawEscapes: rawEscapes).0
        } catch {
            if peek == nil { throw failure(stop == "}" ? "syntax error: missing '}'" : "syntax error: missing '/' in ${}") }
            throw error
        }
    }

    /// A variable name: letters, digits and `_`; or all the digits of a positional parameter; or one special parameter.
    private mutating func name() -> String {
        var name = String.UnicodeScalarView()
        while let c = peek {
            if name.isEmpty, ("0"..."9").contains(c) {
                while let d = peek, ("0"..."9").contains(d) { name.append(d); pos += 1 }
                return String(name)
            }
            if name.isEmpty, "@*#?-$!0".unicodeScalars.contains(c) {
                pos += 1
                return String(c)
            }
            guard c.properties.isAlphabetic || c.properties.numericType != nil || c == "_" else { break }
            name.append(c)
            pos += 1
        }
        return String(name)
    }
}

/// The shell pattern of `${a#p}`, `${a%p}` and `${a/p/r}`: `*` any string, `?` any character, `\` quotes
/// `*`, `?` and `\` (and is dropped before `}` and `/`). Matched by walking all states at once (no
/// backtracking); replacing finds where matches start in one backwards pass.
private struct ShellPattern {
    enum Token: Equatable { case literal(Unicode.Scalar), any, star }
    var tokens: [Token] = []

    init(_ pattern: String, failure: (String) -> DockerfileError) throws(DockerfileError) {
        let s = Array(pattern.unicodeScalars)
        var i = 0
        while i < s.count {
            let c = s[i]
            i += 1
            switch c {
            case "*": tokens.append(.star)
            case "?": tokens.append(.any)
            case "\\":
                guard i < s.count else { throw failure("invalid pattern (\(pattern)) in substitution: trailing \\") }
                let n = s[i]
                if n == "}" || n == "/" { continue }
                guard n == "*" || n == "?" || n == "\\" else {
                    throw failure("invalid pattern (\(pattern)) in substitution: invalid escape '\\\(Character(n))'")
                }
                tokens.append(.literal(n))
                i += 1
            default: tokens.append(.literal(c))
            }
        }
    }

    /// The NFA's live states as a list plus a membership mark per state, reused between steps.
    private struct StateSet {
        var list: [Int] = []
        var member: [Bool]
        init(count: Int) { member = Array(repeating: false, count: count + 1) }
        mutating func insert(_ s: Int) -> Bool {
            guard !member[s] else { return false }
            member[s] = true
            list.append(s)
            return true
        }
        func contains(_ s: Int) -> Bool { member[s] }
        var isEmpty: Bool { list.isEmpty }
        mutating func removeAll() {
            for s in list { member[s] = false }
            list.removeAll(keepingCapacity: true)
        }
    }

    /// Adds `state` and every state a run of `*` lets it skip to.
    private func addClosure(_ state: Int, to set: inout StateSet) {
        var s = state
        while set.insert(s), s < tokens.count, tokens[s] == .star { s += 1 }
    }

    /// One character: the states `current` moves to, into `next` (emptied first).
    private func step(_ current: StateSet, _ c: Unicode.Scalar, into next: inout StateSet) {
        next.removeAll()
        for state in current.list where state < tokens.count {
            switch tokens[state] {
            case .star: addClosure(state, to: &next)
            case .any: addClosure(state + 1, to: &next)
            case .literal(let l): if l == c { addClosure(state + 1, to: &next) }
            }
        }
    }

    /// The end of the shortest (or longest) match of the whole pattern that starts at `start`.
    func matchEnd(in text: [Unicode.Scalar], from start: Int, longest: Bool) -> Int? {
        var states = StateSet(count: tokens.count)
        var next = StateSet(count: tokens.count)
        addClosure(0, to: &states)
        var found: Int?
        var position = start
        while true {
            if states.contains(tokens.count) {
                found = position
                if !longest { return found }
            }
            guard position < text.count, !states.isEmpty else { break }
            step(states, text[position], into: &next)
            swap(&states, &next)
            position += 1
        }
        return found
    }

    /// For each position of `text` (and its end), whether some match of the pattern starts there:
    /// the reversed pattern run once backwards over the text, a new attempt starting at every
    /// position, so finding every match start costs (value × pattern) instead of (value² × pattern).
    func matchStarts(in text: [Unicode.Scalar]) -> [Bool] {
        let reversed = ShellPattern(tokens: tokens.reversed())
        var states = StateSet(count: tokens.count)
        var next = StateSet(count: tokens.count)
        var starts = Array(repeating: false, count: text.count + 1)
        var i = text.count
        while true {
            reversed.addClosure(0, to: &states)
            starts[i] = states.contains(tokens.count)
            guard i > 0 else { break }
            i -= 1
            reversed.step(states, text[i], into: &next)
            swap(&states, &next)
        }
        return starts
    }

    func trimPrefix(of value: String, greedy: Bool) -> String {
        let text = Array(value.unicodeScalars)
        guard let end = matchEnd(in: text, from: 0, longest: greedy) else { return value }
        return String(String.UnicodeScalarView(text[end...]))
    }

    func trimSuffix(of value: String, greedy: Bool) -> String {
        let reversed = ShellPattern(tokens: tokens.reversed())
        let text = Array(value.unicodeScalars.reversed())
        guard let end = reversed.matchEnd(in: text, from: 0, longest: greedy) else { return value }
        return String(String.UnicodeScalarView(text[end...].reversed()))
    }

    /// `${v/p/r}` and `${v//p/r}`: the longest match at each position where one starts, left to
    /// right. Only positions where a match starts are searched from, and a search that finds a
    /// match skips past it, so the work stays near (value × pattern).
    func replace(in value: String, with replacement: String, all: Bool) -> String {
        let text = Array(value.unicodeScalars)
        let starts = matchStarts(in: text)
        var result = String.UnicodeScalarView()
        var position = 0
        var replacedAny = false
        while position <= text.count {
            if !all && replacedAny { break }
            if starts[position], let end = matchEnd(in: text, from: position, longest: true) {
                result.append(contentsOf: replacement.unicodeScalars)
                replacedAny = true
                if end > position {
                    position = end
                    continue
                }
            }
            guard position < text.count else { position += 1; break }
            result.append(text[position])
            position += 1
        }
        if position < text.count { result.append(contentsOf: text[position...]) }
        return String(result)
    }

    private init(tokens: [Token]) { self.tokens = tokens }
}
