/// A lexical item of a Go template, mirroring `text/template/parse`'s items.
struct TemplateToken: Equatable, Sendable {
    enum Kind: Equatable, Sendable {
        case error, bool, char, charConstant, complex, assign, declare, eof, field, identifier
        case leftDelim, leftParen, number, pipe, rawString, rightDelim, rightParen, space
        case string, text, variable
        // Keywords.
        case block, breakKeyword, continueKeyword, dot, define, elseKeyword, end
        case ifKeyword, nilKeyword, range, template, with

        var isKeyword: Bool {
            switch self {
            case .block, .breakKeyword, .continueKeyword, .dot, .define, .elseKeyword, .end,
                 .ifKeyword, .nilKeyword, .range, .template, .with:
                return true
            default:
                return false
            }
        }
    }

    static let keywords: [String: Kind] = [
        ".": .dot, "block": .block, "break": .breakKeyword, "continue": .continueKeyword,
        "define": .define, "else": .elseKeyword, "end": .end, "if": .ifKeyword,
        "range": .range, "nil": .nilKeyword, "template": .template, "with": .with,
    ]

    var kind: Kind
    /// Byte offset of the item in the source.
    var pos: Int
    var value: String
    /// 1-based line where the item starts.
    var line: Int

    /// Go's `item.String()`, used in "unexpected ..." parse errors.
    var goDescription: String {
        switch kind {
        case .eof: return "EOF"
        case .error: return value
        default:
            if kind.isKeyword { return "<\(value)>" }
            if value.unicodeScalars.count > 10 {
                let prefix = String(String.UnicodeScalarView(value.unicodeScalars.prefix(10)))
                return GoText.quote(prefix) + "..."
            }
            return GoText.quote(value)
        }
    }
}
