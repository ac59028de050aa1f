/// Go's `fmt` default (`%v`) rendering of template values.
enum GoValueFormat {
    /// `fmt.Sprint(v)`: `[a b]` for arrays, `map[k:v]` (sorted keys) for objects,
    /// `<nil>` for null and for the absent value.
    static func describe(_ value: TemplateValue?) -> String {
        guard let value else { return "<nil>" }
        switch value {
        case .null: return "<nil>"
        case let .bool(flag): return flag ? "true" : "false"
        case let .int(number): return String(number)
        case let .double(number): return GoFloatFormat.general(number)
        case let .string(text): return text
        case let .array(items): return "[" + items.map { describe($0) }.joined(separator: " ") + "]"
        case .object:
            let body = value.sortedPairs.map { "\($0.0):\(describe($0.1))" }.joined(separator: " ")
            return "map[" + body + "]"
        }
    }

    /// `fmt.Sprint(args...)`: spaces only between operands when neither is a string.
    static func sprint(_ args: [TemplateValue?]) -> String {
        var out = ""
        for (index, arg) in args.enumerated() {
            if index > 0 && !isString(args[index - 1]) && !isString(arg) {
                out += " "
            }
            out += describe(arg)
        }
        return out
    }

    /// `fmt.Sprintln(args...)`: always space-separated, newline-terminated.
    static func sprintln(_ args: [TemplateValue?]) -> String {
        args.map { describe($0) }.joined(separator: " ") + "\n"
    }

    private static func isString(_ value: TemplateValue?) -> Bool {
        if case .string = value { return true }
        return false
    }
}
