/// String helpers that reproduce Go's `strings`, `strconv` and `unicode` behaviour.
enum GoText {
    /// Go string ordering: byte-wise comparison of the UTF-8 encodings.
    static func less(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }

    /// `unicode.IsLetter`.
    static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    /// `unicode.IsDigit` (decimal digits only).
    static func isDigit(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .decimalNumber
    }

    /// The template lexer's `isAlphaNumeric`: underscore, letter or digit.
    static func isAlphaNumeric(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "_" || isLetter(scalar) || isDigit(scalar)
    }

    /// `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and ASCII space.
    static func isPrint(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == " " { return true }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .enclosingMark,
             .decimalNumber, .letterNumber, .otherNumber,
             .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation,
             .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            return true
        default:
            return false
        }
    }

    /// `strconv.Quote`: a double-quoted Go string literal.
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{07}": out += "\\a"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{0B}": out += "\\v"
            default:
                if isPrint(scalar) {
                    out.unicodeScalars.append(scalar)
                } else if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\x" + hex(scalar.value, width: 2)
                } else if scalar.value < 0x10000 {
                    out += "\\u" + hex(scalar.value, width: 4)
                } else {
                    out += "\\U" + hex(scalar.value, width: 8)
                }
            }
        }
        return out + "\""
    }

    /// Lower-case hexadecimal, zero-padded to `width`.
    static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// `strings.ToUpper` (per-scalar simple case mapping).
    static func upper(_ text: String) -> String {
        mapScalars(text) { $0.properties.uppercaseMapping }
    }

    /// `strings.ToLower` (per-scalar simple case mapping).
    static func lower(_ text: String) -> String {
        mapScalars(text) { $0.properties.lowercaseMapping }
    }

    /// `strings.Title`: upper-cases (title-cases) the first letter of each word.
    static func title(_ text: String) -> String {
        var previous: Unicode.Scalar = " "
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isWordSeparator(previous) {
                out.append(contentsOf: simpleMapping(scalar, scalar.properties.titlecaseMapping))
            } else {
                out.append(scalar)
            }
            previous = scalar
        }
        return String(out)
    }

    private static func isWordSeparator(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            switch scalar {
            case "0"..."9", "a"..."z", "A"..."Z", "_": return false
            default: return true
            }
        }
        if isLetter(scalar) || isDigit(scalar) { return false }
        return scalar.properties.isWhitespace
    }

    private static func mapScalars(_ text: String, _ mapping: (Unicode.Scalar) -> String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            out.append(contentsOf: simpleMapping(scalar, mapping(scalar)))
        }
        return String(out)
    }

    /// Go maps case rune by rune; keep the scalar when the full mapping expands (e.g. `ß` → `SS`).
    private static func simpleMapping(_ scalar: Unicode.Scalar, _ mapped: String) -> [Unicode.Scalar] {
        let scalars = Array(mapped.unicodeScalars)
        return scalars.count == 1 ? scalars : [scalar]
    }

    /// Terminal column width, approximating `go-runewidth` as used by docker's tabwriter.
    static func displayWidth(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { $0 + width(of: $1) }
    }

    private static func width(of scalar: Unicode.Scalar) -> Int {
        let value = scalar.value
        if value < 0x20 || (0x7F..<0xA0).contains(value) { return 0 }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        return wideRanges.contains { $0.contains(value) } ? 2 : 1
    }

    private static let wideRanges: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x25FD...0x25FE,
        0x2614...0x2615, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
        0xA000...0xA4CF, 0xA960...0xA97F, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19,
        0xFE30...0xFE6F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF,
        0x20000...0x2FFFD, 0x30000...0x3FFFD,
    ]
}
