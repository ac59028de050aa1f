/// A parsed numeric (or character) constant.
struct TemplateNumber: Sendable {
    var text: String
    var intValue: Int64?
    var floatValue: Double?
    var isComplex = false
}

/// An operand inside a command.
indirect enum TemplateArg: Sendable {
    case field(pos: Int, idents: [String])
    case variable(pos: Int, idents: [String])
    case chain(pos: Int, node: TemplateArg, fields: [String])
    case identifier(pos: Int, name: String)
    case dot(pos: Int)
    case nilValue(pos: Int)
    case bool(pos: Int, value: Bool)
    case number(pos: Int, value: TemplateNumber)
    case string(pos: Int, quoted: String, text: String)
    case pipe(TemplatePipe)

    var pos: Int {
        switch self {
        case let .field(pos, _), let .variable(pos, _), let .chain(pos, _, _), let .identifier(pos, _),
             let .dot(pos), let .nilValue(pos), let .bool(pos, _), let .number(pos, _), let .string(pos, _, _):
            return pos
        case let .pipe(pipe):
            return pipe.pos
        }
    }

    var description: String {
        switch self {
        case let .field(_, idents): return idents.map { "." + $0 }.joined()
        case let .variable(_, idents): return idents.joined(separator: ".")
        case let .chain(_, node, fields):
            let base: String
            if case let .pipe(pipe) = node { base = "(\(pipe.description))" } else { base = node.description }
            return base + fields.map { "." + $0 }.joined()
        case let .identifier(_, name): return name
        case .dot: return "."
        case .nilValue: return "nil"
        case let .bool(_, value): return value ? "true" : "false"
        case let .number(_, value): return value.text
        case let .string(_, quoted, _): return quoted
        case let .pipe(pipe): return pipe.description
        }
    }
}
