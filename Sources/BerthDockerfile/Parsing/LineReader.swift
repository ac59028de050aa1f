/// A Dockerfile's text as BuildKit reads it: parser directives at the top, comments and blank lines
/// skipped, continuation lines joined (comments and blank lines inside them skipped too), and
/// here-document bodies taken line by line on request.
struct LineReader {
    /// One instruction's text with its continuations joined; `line` is where it starts (1-based).
    struct LogicalLine {
        var line: Int
        var text: String
        /// A blank line sat inside the continuation (BuildKit warns about these).
        var hadEmptyContinuationLine = false
    }

    private let lines: [String]
    private var next = 0
    private(set) var escape: Unicode.Scalar = "\\"
    private var directivesDone = false
    private var seenDirectives: Set<String> = []

    init(_ text: String) {
        var lines: [String] = []
        for raw in text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false) {
            var bytes = raw[...]
            if bytes.last == 0x0D { bytes = bytes.dropLast() }
            lines.append(String(decoding: bytes, as: UTF8.self))
        }
        if let first = lines.first, first.hasPrefix("\u{FEFF}") { lines[0] = String(first.dropFirst()) }
        self.lines = lines
    }

    /// The physical line number (1-based) of the last line read.
    var lastLine: Int { next }

    /// The next instruction line, or nil at the end of the file.
    mutating func nextLogicalLine() throws(DockerfileError) -> LogicalLine? {
        while next < lines.count {
            let raw = lines[next]
            next += 1
            if !directivesDone { try readDirective(raw) }
            let trimmed = Self.trimLeadingSpace(raw)
            if trimmed.hasPrefix("#") || trimmed.isEmpty { continue }
            let start = next
            var (text, ended) = trimContinuation(trimmed)
            if ended && text.isEmpty { continue }
            var hadEmpty = false
            while !ended && next < lines.count {
                let continuation = lines[next]
                next += 1
                let stripped = Self.trimLeadingSpace(continuation)
                if stripped.hasPrefix("#") { continue }
                if stripped.isEmpty { hadEmpty = true; continue }
                let (part, end) = trimContinuation(continuation)
                text += part
                ended = end
            }
            if Self.trimLeadingSpace(text).isEmpty { continue }
            return LogicalLine(line: start, text: text, hadEmptyContinuationLine: hadEmpty)
        }
        return nil
    }

    /// The lines up to (not including) the one that is `name` (after stripping leading tabs when
    /// `chomp`), each ending in "\n"; nil when the file ends first.
    mutating func heredocBody(name: String, chomp: Bool) -> String? {
        var body = ""
        while next < lines.count {
            var line = lines[next]
            next += 1
            if chomp { line = String(line.drop(while: { $0 == "\t" })) }
            if line == name { return body }
            body += line + "\n"
        }
        return nil
    }

    // MARK: - Directives

    private mutating func readDirective(_ raw: String) throws(DockerfileError) {
        guard let (key, value) = Self.directive(raw) else {
            directivesDone = true
            return
        }
        switch key {
        case "escape", "syntax", "check":
            guard seenDirectives.insert(key).inserted else {
                throw DockerfileError(location: nil, message: "only one \(key) parser directive can be used. Remove the repeated `# \(key)=` line")
            }
            if key == "escape" {
                guard value == "\\" || value == "`", let scalar = value.unicodeScalars.first else {
                    throw DockerfileError(message: "invalid escape token '\(value)' does not match ` or \\. Use `# escape=\\` or `# escape=``")
                }
                escape = scalar
            }
        default:
            // An unknown directive is a comment, and a comment ends the directives.
            directivesDone = true
        }
    }

    /// `# key = value` → (lower-cased key, value), as BuildKit's directive pattern reads it.
    static func directive(_ raw: String) -> (String, String)? {
        var scalars = Substring(raw).unicodeScalars[...]
        guard scalars.first == "#" else { return nil }
        scalars = scalars.dropFirst()
        scalars = scalars.drop(while: { isSpace($0) })
        guard let first = scalars.first, isASCIILetter(first) else { return nil }
        let key = scalars.prefix(while: { isASCIILetter($0) || ("0"..."9").contains($0) })
        scalars = scalars.dropFirst(key.count).drop(while: { isSpace($0) })
        guard scalars.first == "=" else { return nil }
        let value = String(String.UnicodeScalarView(scalars.dropFirst())).trimmingSpace()
        guard !value.isEmpty else { return nil }
        return (String(String.UnicodeScalarView(key)).lowercased(), value)
    }

    // MARK: - Continuations

    /// Drops a trailing escape character (followed only by spaces or tabs); `ended` is false when there was one.
    private func trimContinuation(_ line: String) -> (String, ended: Bool) {
        var scalars = Array(line.unicodeScalars)
        var end = scalars.count
        while end > 0, scalars[end - 1] == " " || scalars[end - 1] == "\t" { end -= 1 }
        guard end > 0, scalars[end - 1] == escape else { return (line, true) }
        scalars.removeSubrange((end - 1)...)
        return (String(String.UnicodeScalarView(scalars)), false)
    }

    static func trimLeadingSpace(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.drop(while: { isSpace($0) })))
    }
}

func isSpace(_ c: Unicode.Scalar) -> Bool {
    c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\u{0B}" || c == "\u{0C}" || c.properties.isWhitespace
}

func isASCIILetter(_ c: Unicode.Scalar) -> Bool {
    ("a"..."z").contains(c) || ("A"..."Z").contains(c)
}

extension String {
    /// Leading and trailing white space removed (Go's strings.TrimSpace).
    func trimmingSpace() -> String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !isSpace($0) }),
              let last = scalars.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(scalars[start...last])
    }
}
