/// Go `text/template`'s predefined global functions.
enum GoBuiltins {
    static let functions: [String: TemplateFunction] = [
        "and": TemplateFunction([.value], variadic: .value, shortCircuit: .and) { $0.last ?? nil },
        "or": TemplateFunction([.value], variadic: .value, shortCircuit: .or) { $0.last ?? nil },
        "not": TemplateFunction([.value]) { .bool(!GoBuiltins.truth($0[0])) },
        "index": TemplateFunction([.value], variadic: .value) { args throws(TemplateFunctionFailure) in
            try GoBuiltins.index(args[0], Array(args.dropFirst()))
        },
        "slice": TemplateFunction([.value], variadic: .value) { args throws(TemplateFunctionFailure) in
            try GoBuiltins.slice(args[0], Array(args.dropFirst()))
        },
        "len": TemplateFunction([.value]) { args throws(TemplateFunctionFailure) in
            try GoBuiltins.length(args[0])
        },
        "print": TemplateFunction([], variadic: .any) { .string(GoValueFormat.sprint($0)) },
        "println": TemplateFunction([], variadic: .any) { .string(GoValueFormat.sprintln($0)) },
        "printf": TemplateFunction([.string], variadic: .any) { args in
            guard case let .string(format) = args[0] else { return .string("") }
            return .string(GoPrintf.sprintf(format, Array(args.dropFirst())))
        },
        "html": TemplateFunction([], variadic: .any) { .string(GoBuiltins.htmlEscape(GoBuiltins.evalArgs($0))) },
        "urlquery": TemplateFunction([], variadic: .any) { .string(GoBuiltins.queryEscape(GoBuiltins.evalArgs($0))) },
        "eq": TemplateFunction([.value], variadic: .value) { args throws(TemplateFunctionFailure) in
            .bool(try GoComparison.eq(args[0], Array(args.dropFirst())))
        },
        "ne": TemplateFunction([.value, .value]) { args throws(TemplateFunctionFailure) in
            .bool(!(try GoComparison.eq(args[0], [args[1]])))
        },
        "lt": TemplateFunction([.value, .value]) { args throws(TemplateFunctionFailure) in
            .bool(try GoComparison.lt(args[0], args[1]))
        },
        "le": TemplateFunction([.value, .value]) { args throws(TemplateFunctionFailure) in
            .bool(try GoComparison.le(args[0], args[1]))
        },
        "gt": TemplateFunction([.value, .value]) { args throws(TemplateFunctionFailure) in
            .bool(!(try GoComparison.le(args[0], args[1])))
        },
        "ge": TemplateFunction([.value, .value]) { args throws(TemplateFunctionFailure) in
            .bool(!(try GoComparison.lt(args[0], args[1])))
        },
    ]

    /// Go's truth: false, 0, nil and empty strings/collections are false.
    static func truth(_ value: TemplateValue?) -> Bool {
        switch value {
        case .none, .null: return false
        case let .bool(flag): return flag
        case let .int(number): return number != 0
        case let .double(number): return number != 0
        case let .string(text): return !text.isEmpty
        case let .array(items): return !items.isEmpty
        case let .object(pairs): return !pairs.isEmpty
        }
    }

    private static func indexArg(_ index: TemplateValue?, limit: Int) throws(TemplateFunctionFailure) -> Int {
        switch index {
        case let .int(value):
            guard value >= 0 && value <= Int64(limit) else {
                throw TemplateFunctionFailure("index out of range: \(value)")
            }
            return Int(value)
        case .none, .null:
            throw TemplateFunctionFailure("cannot index slice/array with nil")
        case let .some(other):
            throw TemplateFunctionFailure("cannot index slice/array with type \(other.goTypeName)")
        }
    }

    static func index(_ item: TemplateValue?, _ indexes: [TemplateValue?]) throws(TemplateFunctionFailure) -> TemplateValue? {
        guard var current = item, current != .null else { throw TemplateFunctionFailure("index of untyped nil") }
        for index in indexes {
            switch current {
            case .null:
                throw TemplateFunctionFailure("index of nil pointer")
            case let .array(items):
                let position = try indexArg(index, limit: items.count)
                guard position < items.count else { throw TemplateFunctionFailure("reflect: slice index out of range") }
                current = items[position]
            case let .string(text):
                let bytes = Array(text.utf8)
                let position = try indexArg(index, limit: bytes.count)
                guard position < bytes.count else { throw TemplateFunctionFailure("reflect: string index out of range") }
                current = .int(Int64(bytes[position]))
            case .object:
                switch index {
                case let .string(key):
                    current = current[key] ?? .null
                case .none, .null:
                    throw TemplateFunctionFailure("value is nil; should be of type string")
                case let .some(other):
                    throw TemplateFunctionFailure("value has type \(other.goTypeName); should be string")
                }
            default:
                throw TemplateFunctionFailure("can't index item of type \(current.goTypeName)")
            }
        }
        return current
    }

    static func slice(_ item: TemplateValue?, _ indexes: [TemplateValue?]) throws(TemplateFunctionFailure) -> TemplateValue? {
        guard let item, item != .null else { throw TemplateFunctionFailure("slice of untyped nil") }
        guard indexes.count <= 3 else { throw TemplateFunctionFailure("too many slice indexes: \(indexes.count)") }
        let length: Int
        switch item {
        case let .string(text):
            guard indexes.count < 3 else { throw TemplateFunctionFailure("cannot 3-index slice a string") }
            length = text.utf8.count
        case let .array(items):
            length = items.count
        default:
            throw TemplateFunctionFailure("can't slice item of type \(item.goTypeName)")
        }
        var bounds = [0, length, length]
        for (position, index) in indexes.enumerated() {
            bounds[position] = try indexArg(index, limit: length)
        }
        if bounds[0] > bounds[1] { throw TemplateFunctionFailure("invalid slice index: \(bounds[0]) > \(bounds[1])") }
        if indexes.count == 3 && bounds[1] > bounds[2] {
            throw TemplateFunctionFailure("invalid slice index: \(bounds[1]) > \(bounds[2])")
        }
        switch item {
        case let .string(text):
            return .string(String(decoding: Array(text.utf8)[bounds[0]..<bounds[1]], as: UTF8.self))
        case let .array(items):
            return .array(Array(items[bounds[0]..<bounds[1]]))
        default:
            return item
        }
    }

    static func length(_ item: TemplateValue?) throws(TemplateFunctionFailure) -> TemplateValue? {
        switch item {
        case .none, .null: throw TemplateFunctionFailure("len of nil pointer")
        case let .string(text): return .int(Int64(text.utf8.count))
        case let .array(items): return .int(Int64(items.count))
        case let .object(pairs): return .int(Int64(pairs.count))
        case let .some(other): throw TemplateFunctionFailure("len of type \(other.goTypeName)")
        }
    }

    /// `evalArgs`: a lone string as-is, otherwise `fmt.Sprint` with absent values as `<no value>`.
    static func evalArgs(_ args: [TemplateValue?]) -> String {
        if args.count == 1, case let .string(text) = args[0] { return text }
        return GoValueFormat.sprint(args.map { value in
            switch value {
            case .none, .null: return .string("<no value>")
            default: return value
            }
        })
    }

    /// `template.HTMLEscapeString`.
    static func htmlEscape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\0": out += "\u{FFFD}"
            case "\"": out += "&#34;"
            case "'": out += "&#39;"
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `url.QueryEscape`.
    static func queryEscape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                 UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                out += "+"
            default:
                out += "%" + String(GoText.hex(UInt32(byte), width: 2).uppercased())
            }
        }
        return out
    }
}
