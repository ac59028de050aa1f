import Foundation

/// A subset of Go's `fmt.Sprintf`: verbs `v s d q t x X o b c e f g`, flags `- + 0 space`,
/// width and precision (including `*`), and Go's `%!verb(type=value)` error forms.
enum GoPrintf {
    struct Spec {
        var minus = false
        var plus = false
        var zero = false
        var space = false
        var width: Int?
        var precision: Int?
        var verb: Character = "v"
    }

    static func sprintf(_ format: String, _ args: [TemplateValue?]) -> String {
        let scalars = Array(format.unicodeScalars)
        var out = ""
        var argIndex = 0
        var index = 0
        func nextArg() -> TemplateValue?? {
            guard argIndex < args.count else { return .none }
            defer { argIndex += 1 }
            return .some(args[argIndex])
        }
        while index < scalars.count {
            let scalar = scalars[index]
            index += 1
            guard scalar == "%" else {
                out.unicodeScalars.append(scalar)
                continue
            }
            var spec = Spec()
            flags: while index < scalars.count {
                switch scalars[index] {
                case "-": spec.minus = true
                case "+": spec.plus = true
                case "0": spec.zero = true
                case " ": spec.space = true
                case "#": break
                default: break flags
                }
                index += 1
            }
            if index < scalars.count && scalars[index] == "*" {
                index += 1
                if case let .some(.some(.int(width))) = nextArg() {
                    spec.width = Int(clamping: abs(width))
                    if width < 0 { spec.minus = true }
                } else {
                    out += "%!(BADWIDTH)"
                }
            } else {
                spec.width = number(scalars, &index)
            }
            if index < scalars.count && scalars[index] == "." {
                index += 1
                if index < scalars.count && scalars[index] == "*" {
                    index += 1
                    if case let .some(.some(.int(precision))) = nextArg(), precision >= 0 {
                        spec.precision = Int(clamping: precision)
                    } else {
                        out += "%!(BADPREC)"
                    }
                } else {
                    spec.precision = number(scalars, &index) ?? 0
                }
            }
            guard index < scalars.count else {
                out += "%!(NOVERB)"
                break
            }
            spec.verb = Character(scalars[index])
            index += 1
            if spec.verb == "%" {
                out += "%"
                continue
            }
            guard let arg = nextArg() else {
                out += "%!\(spec.verb)(MISSING)"
                continue
            }
            out += Self.format(arg, spec)
        }
        if argIndex < args.count {
            let extra = args[argIndex...].map { arg -> String in
                guard let arg, arg != .null else { return "<nil>" }
                return "\(arg.goTypeName)=\(GoValueFormat.describe(arg))"
            }
            out += "%!(EXTRA " + extra.joined(separator: ", ") + ")"
        }
        return out
    }

    private static func number(_ scalars: [Unicode.Scalar], _ index: inout Int) -> Int? {
        var value: Int?
        while index < scalars.count, let digit = Int(String(scalars[index])), ("0"..."9").contains(scalars[index]) {
            value = (value ?? 0) &* 10 &+ digit
            index += 1
        }
        return value
    }

    /// Formats one operand; arrays and objects apply the verb element-wise like Go.
    static func format(_ value: TemplateValue?, _ spec: Spec) -> String {
        switch value {
        case .none, .null:
            return spec.verb == "v" ? pad("<nil>", spec) : "%!\(spec.verb)(<nil>)"
        case let .bool(flag):
            return "vt".contains(spec.verb) ? pad(flag ? "true" : "false", spec) : bad(value, spec)
        case let .int(number):
            return formatInt(number, spec) ?? bad(value, spec)
        case let .double(number):
            return formatDouble(number, spec) ?? bad(value, spec)
        case let .string(text):
            return formatString(text, spec) ?? bad(value, spec)
        case let .array(items):
            return "[" + items.map { format($0, spec) }.joined(separator: " ") + "]"
        case let .some(object):
            let body = object.sortedPairs.map { format(.string($0.0), spec) + ":" + format($0.1, spec) }
            return "map[" + body.joined(separator: " ") + "]"
        }
    }

    private static func bad(_ value: TemplateValue?, _ spec: Spec) -> String {
        guard let value else { return "%!\(spec.verb)(<nil>)" }
        return "%!\(spec.verb)(\(value.goTypeName)=\(GoValueFormat.describe(value)))"
    }

    private static func formatInt(_ number: Int64, _ spec: Spec) -> String? {
        let magnitude = number.magnitude
        var digits: String
        var prefix = ""
        switch spec.verb {
        case "v", "d": digits = String(magnitude)
        case "b": digits = String(magnitude, radix: 2)
        case "o": digits = String(magnitude, radix: 8)
        case "O": digits = String(magnitude, radix: 8); prefix = "0o"
        case "x": digits = String(magnitude, radix: 16)
        case "X": digits = String(magnitude, radix: 16, uppercase: true)
        case "c", "q", "U":
            let scalar = UInt32(exactly: number).flatMap(Unicode.Scalar.init) ?? "\u{FFFD}"
            switch spec.verb {
            case "c": return pad(String(Character(scalar)), spec)
            case "q":
                let quoted = GoText.quote(String(Character(scalar)))
                let inner = quoted.dropFirst().dropLast().replacingOccurrences(of: "\\\"", with: "\"")
                return pad("'" + (inner == "'" ? "\\'" : inner) + "'", spec)
            default:
                let hex = String(number, radix: 16, uppercase: true)
                return pad("U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex, spec)
            }
        default: return nil
        }
        if let precision = spec.precision, digits.count < precision {
            digits = String(repeating: "0", count: precision - digits.count) + digits
        }
        let sign = number < 0 ? "-" : (spec.plus ? "+" : (spec.space ? " " : ""))
        return padNumber(sign: sign + prefix, digits: digits, spec)
    }

    private static func formatDouble(_ number: Double, _ spec: Spec) -> String? {
        let verb: Character
        switch spec.verb {
        case "v": verb = "g"
        case "e", "E", "f", "F", "g", "G": verb = spec.verb
        default: return nil
        }
        if number.isNaN { return pad("NaN", spec) }
        if number.isInfinite { return pad(number < 0 ? "-Inf" : "+Inf", spec) }
        let lowerVerb = Character(verb.lowercased())
        var text = GoFloatFormat.printf(abs(number), verb: lowerVerb == "f" ? "f" : lowerVerb, precision: spec.precision)
        if verb.isUppercase { text = text.uppercased() }
        let sign = number.sign == .minus ? "-" : (spec.plus ? "+" : (spec.space ? " " : ""))
        return padNumber(sign: sign, digits: text, spec)
    }

    private static func formatString(_ text: String, _ spec: Spec) -> String? {
        var body = text
        if let precision = spec.precision {
            body = String(String.UnicodeScalarView(text.unicodeScalars.prefix(precision)))
        }
        switch spec.verb {
        case "v", "s": return pad(body, spec)
        case "q": return pad(GoText.quote(body), spec)
        case "x", "X":
            let hex = body.utf8.map { GoText.hex(UInt32($0), width: 2) }.joined()
            return pad(spec.verb == "X" ? hex.uppercased() : hex, spec)
        default: return nil
        }
    }

    private static func pad(_ text: String, _ spec: Spec) -> String {
        guard let width = spec.width else { return text }
        let missing = width - text.unicodeScalars.count
        guard missing > 0 else { return text }
        if spec.minus { return text + String(repeating: " ", count: missing) }
        return String(repeating: spec.zero ? "0" : " ", count: missing) + text
    }

    private static func padNumber(sign: String, digits: String, _ spec: Spec) -> String {
        guard let width = spec.width, spec.zero, !spec.minus else { return pad(sign + digits, spec) }
        let missing = width - sign.count - digits.count
        return sign + String(repeating: "0", count: max(0, missing)) + digits
    }
}
