/// Go's template comparison functions (`eq`, `ne`, `lt`, `le`, `gt`, `ge`).
enum GoComparison {
    private enum Kind {
        case invalid, bool, int, float, string
    }

    private static func kind(_ value: TemplateValue?) -> Kind {
        switch value {
        case .bool: return .bool
        case .int: return .int
        case .double: return .float
        case .string: return .string
        default: return .invalid
        }
    }

    /// `indirectInterface`: a JSON null behaves like Go's nil interface.
    private static func concrete(_ value: TemplateValue?) -> TemplateValue? {
        if case .null = value { return nil }
        return value
    }

    private static func typeName(_ value: TemplateValue?) -> String {
        value?.goTypeName ?? "<nil>"
    }

    /// `eq arg1 arg2...`: true when `arg1` equals any of the others.
    static func eq(_ first: TemplateValue?, _ others: [TemplateValue?]) throws(TemplateFunctionFailure) -> Bool {
        let lhs = concrete(first)
        guard !others.isEmpty else { throw TemplateFunctionFailure("missing argument for comparison") }
        let leftKind = kind(lhs)
        for other in others {
            let rhs = concrete(other)
            let rightKind = kind(rhs)
            var truth = false
            if leftKind != rightKind {
                if lhs != nil && rhs != nil {
                    throw TemplateFunctionFailure("incompatible types for comparison: \(typeName(lhs)) and \(typeName(rhs))")
                }
            } else {
                switch (lhs, rhs) {
                case let (.bool(a), .bool(b)): truth = a == b
                case let (.int(a), .int(b)): truth = a == b
                case let (.double(a), .double(b)): truth = a == b
                case let (.string(a), .string(b)): truth = a == b
                default:
                    truth = try compareComposite(lhs, rhs)
                }
            }
            if truth { return true }
        }
        return false
    }

    private static func compareComposite(_ lhs: TemplateValue?, _ rhs: TemplateValue?) throws(TemplateFunctionFailure) -> Bool {
        guard let lhs, let rhs else { return lhs == nil && rhs == nil }
        let sameKind: Bool
        switch (lhs, rhs) {
        case (.array, .array), (.object, .object): sameKind = true
        default: sameKind = false
        }
        guard sameKind else {
            throw TemplateFunctionFailure(
                "non-comparable types \(GoValueFormat.describe(lhs)): \(lhs.goTypeName), \(rhs.goTypeName): \(GoValueFormat.describe(rhs))")
        }
        throw TemplateFunctionFailure("non-comparable type \(GoValueFormat.describe(rhs)): \(rhs.goTypeName)")
    }

    /// `lt a b`.
    static func lt(_ first: TemplateValue?, _ second: TemplateValue?) throws(TemplateFunctionFailure) -> Bool {
        let lhs = concrete(first)
        let rhs = concrete(second)
        let leftKind = kind(lhs)
        let rightKind = kind(rhs)
        if leftKind == .invalid || rightKind == .invalid {
            throw TemplateFunctionFailure("invalid type for comparison")
        }
        guard leftKind == rightKind else {
            throw TemplateFunctionFailure("incompatible types for comparison: \(typeName(lhs)) and \(typeName(rhs))")
        }
        switch (lhs, rhs) {
        case let (.int(a), .int(b)): return a < b
        case let (.double(a), .double(b)): return a < b
        case let (.string(a), .string(b)): return GoText.less(a, b)
        default: throw TemplateFunctionFailure("invalid type for comparison")
        }
    }

    /// `le a b`: `lt` or `eq`.
    static func le(_ first: TemplateValue?, _ second: TemplateValue?) throws(TemplateFunctionFailure) -> Bool {
        if try lt(first, second) { return true }
        return try eq(first, [second])
    }
}
