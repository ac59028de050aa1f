/// Splits a Go template into tokens, following `text/template/parse/lex.go`
/// (trim markers `{{- ` / ` -}}`, comments, newlines inside actions).
struct TemplateLexer {
    private let input: [UInt8]
    private var pos = 0
    private var start = 0
    private var line = 1
    private var startLine = 1
    private var insideAction = false
    private var parenDepth = 0
    private var lastWidth = 0
    private var finished = false

    private static let leftDelim: [UInt8] = Array("{{".utf8)
    private static let rightDelim: [UInt8] = Array("}}".utf8)
    private static let leftComment: [UInt8] = Array("/*".utf8)
    private static let rightComment: [UInt8] = Array("*/".utf8)

    init(_ source: String) {
        input = Array(source.utf8)
    }

    /// Lexes the whole input; the last token is `.eof` or `.error`.
    static func tokenize(_ source: String) -> [TemplateToken] {
        var lexer = TemplateLexer(source)
        var tokens: [TemplateToken] = []
        while true {
            let token = lexer.nextToken()
            tokens.append(token)
            if token.kind == .eof || token.kind == .error { return tokens }
        }
    }

    mutating func nextToken() -> TemplateToken {
        if finished { return TemplateToken(kind: .eof, pos: input.count, value: "EOF", line: line) }
        return insideAction ? lexInsideAction() : lexText()
    }

    // MARK: - Character access

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A
    }

    private func hasPrefix(_ prefix: [UInt8], at offset: Int) -> Bool {
        guard offset >= 0, offset + prefix.count <= input.count else { return false }
        return input[offset..<(offset + prefix.count)].elementsEqual(prefix)
    }

    private func hasLeftTrimMarker(at offset: Int) -> Bool {
        offset + 1 < input.count && input[offset] == UInt8(ascii: "-") && Self.isSpace(input[offset + 1])
    }

    private func hasRightTrimMarker(at offset: Int) -> Bool {
        offset >= 0 && offset + 1 < input.count && Self.isSpace(input[offset]) && input[offset + 1] == UInt8(ascii: "-")
    }

    private func text(_ from: Int, _ to: Int) -> String {
        String(decoding: input[from..<to], as: UTF8.self)
    }

    private func newlines(_ from: Int, _ to: Int) -> Int {
        guard from < to else { return 0 }
        return input[from..<to].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    }

    /// Decodes the scalar at `pos` and advances; `nil` at end of input.
    private mutating func next() -> Unicode.Scalar? {
        guard pos < input.count else {
            lastWidth = 0
            return nil
        }
        let (scalar, width) = decode(at: pos)
        pos += width
        lastWidth = width
        if scalar == "\n" { line += 1 }
        return scalar
    }

    private mutating func backup() {
        guard lastWidth > 0 else { return }
        pos -= lastWidth
        if input[pos] == 0x0A { line -= 1 }
        lastWidth = 0
    }

    private mutating func peek() -> Unicode.Scalar? {
        let scalar = next()
        backup()
        return scalar
    }

    private func decode(at offset: Int) -> (Unicode.Scalar, Int) {
        let lead = input[offset]
        let width: Int
        switch lead {
        case 0..<0x80: return (Unicode.Scalar(lead), 1)
        case 0xC0..<0xE0: width = 2
        case 0xE0..<0xF0: width = 3
        default: width = 4
        }
        let end = min(offset + width, input.count)
        var iterator = input[offset..<end].makeIterator()
        var decoder = UTF8()
        if case let .scalarValue(scalar) = decoder.decode(&iterator) {
            return (scalar, end - offset)
        }
        return ("\u{FFFD}", 1)
    }

    private mutating func accept(_ valid: String) -> Bool {
        if let scalar = next(), valid.unicodeScalars.contains(scalar) { return true }
        backup()
        return false
    }

    private mutating func acceptRun(_ valid: String) {
        while let scalar = next(), valid.unicodeScalars.contains(scalar) {}
        backup()
    }

    // MARK: - Emitting

    private mutating func emit(_ kind: TemplateToken.Kind) -> TemplateToken {
        let token = TemplateToken(kind: kind, pos: start, value: text(start, pos), line: startLine)
        start = pos
        startLine = line
        return token
    }

    private mutating func ignore() {
        line += newlines(start, pos)
        start = pos
        startLine = line
    }

    private mutating func error(_ message: String) -> TemplateToken {
        finished = true
        return TemplateToken(kind: .error, pos: start, value: message, line: startLine)
    }

    private static func describe(_ scalar: Unicode.Scalar?) -> String {
        guard let scalar else { return "U+FFFFFFFFFFFFFFFF" }
        let hex = String(scalar.value, radix: 16, uppercase: true)
        let padded = String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        return GoText.isPrint(scalar) ? "U+\(padded) '\(Character(scalar))'" : "U+\(padded)"
    }

    // MARK: - States

    private mutating func lexText() -> TemplateToken {
        while true {
            guard let found = firstIndex(of: Self.leftDelim, from: pos) else {
                pos = input.count
                finished = true
                if pos > start {
                    line += newlines(start, pos)
                    return emit(.text)
                }
                return emit(.eof)
            }
            if found > pos {
                pos = found
                var trim = 0
                if hasLeftTrimMarker(at: pos + Self.leftDelim.count) {
                    var index = pos
                    while index > start && Self.isSpace(input[index - 1]) { index -= 1 }
                    trim = pos - index
                }
                pos -= trim
                line += newlines(start, pos)
                let token = TemplateToken(kind: .text, pos: start, value: text(start, pos), line: startLine)
                start = pos
                startLine = line
                pos += trim
                ignore()
                if !token.value.isEmpty { return token }
            }
            if let token = lexLeftDelim() { return token }
            // A comment was skipped; keep scanning text.
        }
    }

    private func firstIndex(of needle: [UInt8], from offset: Int) -> Int? {
        var index = offset
        while index + needle.count <= input.count {
            if hasPrefix(needle, at: index) { return index }
            index += 1
        }
        return nil
    }

    /// Returns the left-delimiter token, or `nil` after skipping a comment.
    private mutating func lexLeftDelim() -> TemplateToken? {
        pos += Self.leftDelim.count
        let trimSpace = hasLeftTrimMarker(at: pos)
        let afterMarker = trimSpace ? 2 : 0
        if hasPrefix(Self.leftComment, at: pos + afterMarker) {
            pos += afterMarker
            ignore()
            return lexComment()
        }
        let token = emit(.leftDelim)
        insideAction = true
        pos += afterMarker
        ignore()
        parenDepth = 0
        return token
    }

    private mutating func lexComment() -> TemplateToken? {
        pos += Self.leftComment.count
        guard let end = firstIndex(of: Self.rightComment, from: pos) else {
            return error("unclosed comment")
        }
        pos = end + Self.rightComment.count
        let (delim, trimSpace) = atRightDelim()
        guard delim else { return error("comment ends before closing delimiter") }
        line += newlines(start, pos)
        start = pos
        startLine = line
        if trimSpace { pos += 2 }
        pos += Self.rightDelim.count
        if trimSpace {
            while pos < input.count && Self.isSpace(input[pos]) { pos += 1 }
        }
        ignore()
        return nil
    }

    private func atRightDelim() -> (delim: Bool, trim: Bool) {
        if hasRightTrimMarker(at: pos) && hasPrefix(Self.rightDelim, at: pos + 2) { return (true, true) }
        if hasPrefix(Self.rightDelim, at: pos) { return (true, false) }
        return (false, false)
    }

    private mutating func lexRightDelim() -> TemplateToken {
        let trimSpace = atRightDelim().trim
        if trimSpace {
            pos += 2
            ignore()
        }
        pos += Self.rightDelim.count
        let token = emit(.rightDelim)
        if trimSpace {
            while pos < input.count && Self.isSpace(input[pos]) { pos += 1 }
            ignore()
        }
        insideAction = false
        return token
    }

    private mutating func lexInsideAction() -> TemplateToken {
        if atRightDelim().delim {
            return parenDepth == 0 ? lexRightDelim() : error("unclosed left paren")
        }
        guard let scalar = next() else { return error("unclosed action") }
        switch scalar {
        case " ", "\t", "\r", "\n":
            backup()
            return lexSpace()
        case "=":
            return emit(.assign)
        case ":":
            guard next() == "=" else { return error("expected :=") }
            return emit(.declare)
        case "|":
            return emit(.pipe)
        case "\"":
            return lexQuote()
        case "`":
            return lexRawQuote()
        case "$":
            return lexVariable()
        case "'":
            return lexChar()
        case "(":
            parenDepth += 1
            return emit(.leftParen)
        case ")":
            parenDepth -= 1
            if parenDepth < 0 { return error("unexpected right paren") }
            return emit(.rightParen)
        default:
            break
        }
        if scalar == "." {
            if pos < input.count && !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(input[pos]) {
                return lexFieldOrVariable(.field)
            }
            backup()
            return lexNumber()
        }
        if scalar == "+" || scalar == "-" || ("0"..."9").contains(scalar) {
            backup()
            return lexNumber()
        }
        if GoText.isAlphaNumeric(scalar) {
            backup()
            return lexIdentifier()
        }
        if scalar.isASCII && GoText.isPrint(scalar) {
            return emit(.char)
        }
        return error("unrecognized character in action: \(Self.describe(scalar))")
    }

    private mutating func lexSpace() -> TemplateToken {
        var count = 0
        while pos < input.count && Self.isSpace(input[pos]) {
            _ = next()
            count += 1
        }
        if hasRightTrimMarker(at: pos - 1) && hasPrefix(Self.rightDelim, at: pos + 1) {
            backup()
            if count == 1 { return lexRightDelim() }
        }
        return emit(.space)
    }

    private mutating func atTerminator() -> Bool {
        guard let scalar = peek() else { return true }
        switch scalar {
        case " ", "\t", "\r", "\n", ".", ",", "|", ":", ")", "(": return true
        default: return hasPrefix(Self.rightDelim, at: pos)
        }
    }

    private mutating func lexIdentifier() -> TemplateToken {
        while let scalar = next(), GoText.isAlphaNumeric(scalar) {}
        backup()
        let after = peek()
        if !atTerminator() { return error("bad character \(Self.describe(after))") }
        let word = text(start, pos)
        if let keyword = TemplateToken.keywords[word] { return emit(keyword) }
        if word == "true" || word == "false" { return emit(.bool) }
        return emit(.identifier)
    }

    private mutating func lexVariable() -> TemplateToken {
        if atTerminator() { return emit(.variable) }
        return lexFieldOrVariable(.variable)
    }

    private mutating func lexFieldOrVariable(_ kind: TemplateToken.Kind) -> TemplateToken {
        if atTerminator() { return emit(kind == .variable ? .variable : .dot) }
        while let scalar = next(), GoText.isAlphaNumeric(scalar) {}
        backup()
        let after = peek()
        if !atTerminator() { return error("bad character \(Self.describe(after))") }
        return emit(kind)
    }

    private mutating func lexChar() -> TemplateToken {
        while true {
            switch next() {
            case "\\":
                let escaped = next()
                if escaped == nil || escaped == "\n" { return error("unterminated character constant") }
            case nil, "\n":
                return error("unterminated character constant")
            case "'":
                return emit(.charConstant)
            default:
                break
            }
        }
    }

    private mutating func lexNumber() -> TemplateToken {
        guard scanNumber() else { return error("bad number syntax: \(GoText.quote(text(start, pos)))") }
        if let sign = peek(), sign == "+" || sign == "-" {
            guard scanNumber(), pos > 0, input[pos - 1] == UInt8(ascii: "i") else {
                return error("bad number syntax: \(GoText.quote(text(start, pos)))")
            }
            return emit(.complex)
        }
        return emit(.number)
    }

    private mutating func scanNumber() -> Bool {
        _ = accept("+-")
        var digits = "0123456789_"
        if accept("0") {
            if accept("xX") {
                digits = "0123456789abcdefABCDEF_"
            } else if accept("oO") {
                digits = "01234567_"
            } else if accept("bB") {
                digits = "01_"
            }
        }
        acceptRun(digits)
        if accept(".") { acceptRun(digits) }
        if digits.count == 11 && accept("eE") {
            _ = accept("+-")
            acceptRun("0123456789_")
        }
        if digits.count == 23 && accept("pP") {
            _ = accept("+-")
            acceptRun("0123456789_")
        }
        _ = accept("i")
        if let scalar = peek(), GoText.isAlphaNumeric(scalar) {
            _ = next()
            return false
        }
        return true
    }

    private mutating func lexQuote() -> TemplateToken {
        while true {
            switch next() {
            case "\\":
                let escaped = next()
                if escaped == nil || escaped == "\n" { return error("unterminated quoted string") }
            case nil, "\n":
                return error("unterminated quoted string")
            case "\"":
                return emit(.string)
            default:
                break
            }
        }
    }

    private mutating func lexRawQuote() -> TemplateToken {
        while true {
            switch next() {
            case nil: return error("unterminated raw quoted string")
            case "`": return emit(.rawString)
            default: break
            }
        }
    }
}
