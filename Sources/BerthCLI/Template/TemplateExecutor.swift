/// Walks a parsed template over a ``TemplateValue``, following `text/template/exec.go`.
///
/// Values are `TemplateValue?`: `nil` is Go's invalid reflect.Value ("no value"),
/// `.null` is a nil interface held in a map or slice. Like Go, every pipeline
/// result turns `.null` into "no value", so `{{.Null}}` prints `<no value>`
/// while `{{print .Null}}` prints `<nil>`.
struct TemplateExecutor {
    /// Why evaluation stopped early.
    enum Interrupt: Error {
        case failure(TemplateError)
        case breakLoop
        case continueLoop
    }

    /// The value produced by the previous command of a pipeline, if any.
    private enum Final: Equatable {
        case missing
        case value(TemplateValue?)
    }

    /// The node being evaluated, for error positions and context.
    private enum Located {
        case arg(TemplateArg)
        case pipe(TemplatePipe)
        case command(TemplateCommand)
        case node(TemplateNode, Int)

        var pos: Int {
            switch self {
            case let .arg(arg): return arg.pos
            case let .pipe(pipe): return pipe.pos
            case let .command(command): return command.pos
            case let .node(_, pos): return pos
            }
        }

        var description: String {
            switch self {
            case let .arg(arg): return arg.description
            case let .pipe(pipe): return pipe.description
            case let .command(command): return command.description
            case let .node(node, _): return node.description
            }
        }
    }

    private let source: [UInt8]
    private let name: String
    private let functions: [String: TemplateFunction]
    private let missingKey: GoTemplate.MissingKey
    private var vars: [(name: String, value: TemplateValue?)] = []
    private var located: Located?
    private(set) var output = ""

    init(source: String, name: String, functions: [String: TemplateFunction], missingKey: GoTemplate.MissingKey) {
        self.source = Array(source.utf8)
        self.name = name
        self.functions = functions
        self.missingKey = missingKey
    }

    /// Renders `root`; on failure `output` keeps what was written before the error.
    mutating func run(_ root: [TemplateNode], data: TemplateValue) throws(TemplateError) {
        let dot: TemplateValue? = data == .null ? nil : data
        vars = [("$", dot)]
        do {
            try walk(dot, root)
        } catch {
            switch error {
            case let .failure(failure): throw failure
            case .breakLoop, .continueLoop: return
            }
        }
    }

    // MARK: - Errors and variables

    private func failure(_ message: String) -> Interrupt {
        let pos = min(located?.pos ?? 0, source.count)
        let before = source[0..<pos]
        let line = 1 + before.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        let column = before.lastIndex(of: 0x0A).map { pos - ($0 + 1) } ?? pos
        return .failure(TemplateError(
            kind: .execution, message: message, line: line, column: column,
            context: located?.description ?? "", templateName: name))
    }

    private mutating func at(_ location: Located) {
        located = location
    }

    private mutating func setVar(_ name: String, _ value: TemplateValue?) throws(Interrupt) {
        guard let index = vars.lastIndex(where: { $0.name == name }) else {
            throw failure("undefined variable: \(name)")
        }
        vars[index].value = value
    }

    private func varValue(_ name: String) throws(Interrupt) -> TemplateValue? {
        guard let variable = vars.last(where: { $0.name == name }) else {
            throw failure("undefined variable: \(name)")
        }
        return variable.value
    }

    private mutating func pop(to mark: Int) {
        if vars.count > mark { vars.removeLast(vars.count - mark) }
    }

    // MARK: - Walking

    private mutating func walk(_ dot: TemplateValue?, _ nodes: [TemplateNode]) throws(Interrupt) {
        for node in nodes {
            try walk(dot, node)
        }
    }

    private mutating func walk(_ dot: TemplateValue?, _ node: TemplateNode) throws(Interrupt) {
        switch node {
        case let .text(text):
            output += text
        case let .action(pos, pipe):
            at(.node(node, pos))
            let value = try evalPipeline(dot, pipe)
            if pipe.decl.isEmpty {
                at(.node(node, pos))
                output += value.map { GoValueFormat.describe($0) } ?? "<no value>"
            }
        case let .ifNode(control):
            at(.node(node, control.pos))
            try walkIfOrWith(dot, control, setsDot: false)
        case let .withNode(control):
            at(.node(node, control.pos))
            try walkIfOrWith(dot, control, setsDot: true)
        case let .rangeNode(control):
            at(.node(node, control.pos))
            try walkRange(dot, control)
        case .breakNode:
            throw .breakLoop
        case .continueNode:
            throw .continueLoop
        }
    }

    private mutating func walkIfOrWith(_ dot: TemplateValue?, _ control: TemplateControl, setsDot: Bool) throws(Interrupt) {
        let mark = vars.count
        defer { pop(to: mark) }
        let value = try evalPipeline(dot, control.pipe)
        if GoBuiltins.truth(value) {
            try walk(setsDot ? value : dot, control.list)
        } else if let elseList = control.elseList {
            try walk(dot, elseList)
        }
    }

    private mutating func walkRange(_ dot: TemplateValue?, _ control: TemplateControl) throws(Interrupt) {
        let outerMark = vars.count
        defer { pop(to: outerMark) }
        let value = try evalPipeline(dot, control.pipe)
        let mark = vars.count
        switch value {
        case let .array(items) where !items.isEmpty:
            for (index, item) in items.enumerated() {
                guard try iterate(control, mark: mark, key: .int(Int64(index)), element: item) else { break }
            }
            return
        case let .object(pairs) where !pairs.isEmpty:
            for (key, item) in value?.sortedPairs ?? [] {
                guard try iterate(control, mark: mark, key: .string(key), element: item) else { break }
            }
            return
        case let .int(count):
            if control.pipe.decl.count > 1 {
                throw failure("can't use \(count) to iterate over more than one variable")
            }
            if count > 0 {
                for index in 0..<count {
                    guard try iterate(control, mark: mark, key: .int(index), element: .int(index)) else { break }
                }
                return
            }
        case .array, .object, .none:
            break
        case let .some(other):
            throw failure("range can't iterate over \(GoValueFormat.describe(other))")
        }
        if let elseList = control.elseList {
            try walk(dot, elseList)
        }
    }

    /// One loop body; returns `false` after `{{break}}`.
    private mutating func iterate(_ control: TemplateControl, mark: Int, key: TemplateValue, element: TemplateValue) throws(Interrupt) -> Bool {
        let decl = control.pipe.decl
        if let first = decl.first {
            if control.pipe.isAssign {
                try setVar(first, decl.count > 1 ? key : element)
            } else {
                vars[vars.count - 1].value = element
            }
        }
        if decl.count > 1 {
            if control.pipe.isAssign {
                try setVar(decl[1], element)
            } else {
                vars[vars.count - 2].value = key
            }
        }
        defer { pop(to: mark) }
        do {
            try walk(element, control.list)
        } catch {
            switch error {
            case .continueLoop: return true
            case .breakLoop: return false
            case .failure: throw error
            }
        }
        return true
    }

    // MARK: - Pipelines and commands

    private mutating func evalPipeline(_ dot: TemplateValue?, _ pipe: TemplatePipe) throws(Interrupt) -> TemplateValue? {
        at(.pipe(pipe))
        var final = Final.missing
        var value: TemplateValue?
        for command in pipe.cmds {
            value = try evalCommand(dot, command, final: final)
            if value == .null { value = nil }
            final = .value(value)
        }
        for variable in pipe.decl {
            if pipe.isAssign {
                try setVar(variable, value)
            } else {
                vars.append((variable, value))
            }
        }
        return value
    }

    private mutating func notAFunction(_ args: [TemplateArg], _ final: Final) throws(Interrupt) {
        if args.count > 1 || final != .missing, let first = args.first {
            throw failure("can't give argument to non-function \(first.description)")
        }
    }

    private mutating func evalCommand(_ dot: TemplateValue?, _ command: TemplateCommand, final: Final) throws(Interrupt) -> TemplateValue? {
        guard let first = command.args.first else { return nil }
        switch first {
        case let .field(_, idents):
            return try evalFieldNode(dot, first, idents, args: command.args, final: final)
        case .chain:
            return try evalChainNode(dot, first, args: command.args, final: final)
        case let .identifier(_, name):
            return try evalFunction(dot, first, name, call: .command(command), args: Array(command.args.dropFirst()), final: final)
        case let .pipe(pipe):
            try notAFunction(command.args, final)
            return try evalPipeline(dot, pipe)
        case let .variable(_, idents):
            return try evalVariableNode(dot, first, idents, args: command.args, final: final)
        default:
            break
        }
        at(.arg(first))
        try notAFunction(command.args, final)
        switch first {
        case let .bool(_, value): return .bool(value)
        case .dot: return dot
        case let .number(_, number): return try idealConstant(first, number)
        case let .string(_, _, text): return .string(text)
        default: throw failure("nil is not a command")
        }
    }

    private mutating func idealConstant(_ arg: TemplateArg, _ number: TemplateNumber) throws(Interrupt) -> TemplateValue {
        at(.arg(arg))
        let text = number.text
        let isHex = text.count > 2 && text.hasPrefix("0") && "xX".contains(Array(text)[1]) && !text.contains(where: { "pP".contains($0) })
        let looksFloat = !isHex && !text.hasPrefix("'") && text.contains(where: { ".eEpP".contains($0) })
        if looksFloat, let value = number.floatValue { return .double(value) }
        if let value = number.intValue { return .int(value) }
        throw failure("\(text) overflows int")
    }

    // MARK: - Fields and variables

    private mutating func evalFieldNode(_ dot: TemplateValue?, _ node: TemplateArg, _ idents: [String], args: [TemplateArg], final: Final) throws(Interrupt) -> TemplateValue? {
        at(.arg(node))
        return try evalFieldChain(dot, idents, args: args, final: final)
    }

    private mutating func evalChainNode(_ dot: TemplateValue?, _ node: TemplateArg, args: [TemplateArg], final: Final) throws(Interrupt) -> TemplateValue? {
        at(.arg(node))
        guard case let .chain(_, base, fields) = node else { return nil }
        if case .nilValue = base {
            throw failure("indirection through explicit nil in \(node.description)")
        }
        let receiver = try evalArg(dot, nil, base)
        return try evalFieldChain(receiver, fields, args: args, final: final)
    }

    private mutating func evalVariableNode(_ dot: TemplateValue?, _ node: TemplateArg, _ idents: [String], args: [TemplateArg], final: Final) throws(Interrupt) -> TemplateValue? {
        at(.arg(node))
        let value = try varValue(idents[0])
        if idents.count == 1 {
            try notAFunction(args, final)
            return value
        }
        return try evalFieldChain(value, Array(idents.dropFirst()), args: args, final: final)
    }

    private mutating func evalFieldChain(_ receiver: TemplateValue?, _ idents: [String], args: [TemplateArg], final: Final) throws(Interrupt) -> TemplateValue? {
        var current = receiver
        for (offset, ident) in idents.enumerated() {
            let isLast = offset == idents.count - 1
            current = try evalField(ident, hasArgs: isLast && (args.count > 1 || final != .missing), receiver: current)
        }
        return current
    }

    private mutating func evalField(_ name: String, hasArgs: Bool, receiver: TemplateValue?) throws(Interrupt) -> TemplateValue? {
        guard let receiver else {
            if missingKey == .error { throw failure("nil data; no entry for key \(GoText.quote(name))") }
            return nil
        }
        switch receiver {
        case .null:
            throw failure("nil pointer evaluating interface {}.\(name)")
        case .object:
            if hasArgs { throw failure("\(name) is not a method but has arguments") }
            if let value = receiver[name] { return value }
            switch missingKey {
            case .default: return nil
            case .zero: return .null
            case .error: throw failure("map has no entry for key \(GoText.quote(name))")
            }
        default:
            throw failure("can't evaluate field \(name) in type \(receiver.goTypeName)")
        }
    }

    // MARK: - Functions and arguments

    private mutating func evalFunction(_ dot: TemplateValue?, _ node: TemplateArg, _ name: String, call: Located, args: [TemplateArg], final: Final) throws(Interrupt) -> TemplateValue? {
        at(.arg(node))
        guard let function = functions[name] else {
            throw failure("\(GoText.quote(name)) is not a defined function")
        }
        let count = args.count + (final == .missing ? 0 : 1)
        if function.variadic != nil {
            if count < function.params.count {
                throw failure("wrong number of args for \(name): want at least \(function.params.count) got \(args.count)")
            }
        } else if count != function.params.count {
            throw failure("wrong number of args for \(name): want \(function.params.count) got \(count)")
        }
        if function.shortCircuit != .none {
            var value: TemplateValue?
            for arg in args {
                value = try evalArg(dot, .value, arg)
                if GoBuiltins.truth(value) == (function.shortCircuit == .or) { return value }
            }
            if case let .value(finalValue) = final { value = finalValue }
            return value
        }
        var argv: [TemplateValue?] = []
        for (index, arg) in args.enumerated() {
            argv.append(try evalArg(dot, function.param(at: index), arg))
        }
        if case let .value(finalValue) = final {
            argv.append(try validateType(finalValue, function.param(at: count - 1)))
        }
        do {
            return try function.body(argv)
        } catch {
            at(call)
            throw failure("error calling \(name): \(error.message)")
        }
    }

    private mutating func evalArg(_ dot: TemplateValue?, _ param: TemplateParam?, _ arg: TemplateArg) throws(Interrupt) -> TemplateValue? {
        at(.arg(arg))
        switch arg {
        case .dot:
            return try validateType(dot, param)
        case .nilValue:
            if let param, !param.canBeNil { throw failure("cannot assign nil to \(param.goName)") }
            return nil
        case let .field(_, idents):
            return try validateType(try evalFieldNode(dot, arg, idents, args: [arg], final: .missing), param)
        case let .variable(_, idents):
            return try validateType(try evalVariableNode(dot, arg, idents, args: [], final: .missing), param)
        case let .pipe(pipe):
            return try validateType(try evalPipeline(dot, pipe), param)
        case let .identifier(_, name):
            return try validateType(try evalFunction(dot, arg, name, call: .arg(arg), args: [], final: .missing), param)
        case .chain:
            return try validateType(try evalChainNode(dot, arg, args: [], final: .missing), param)
        default:
            break
        }
        switch param {
        case .string:
            if case let .string(_, _, text) = arg { return .string(text) }
            throw failure("expected string; found \(arg.description)")
        case .int:
            if case let .number(_, number) = arg, let value = number.intValue { return .int(value) }
            throw failure("expected integer; found \(arg.description)")
        case .stringSlice:
            throw failure("can't handle \(arg.description) for arg of type []string")
        case .value, .any, .none:
            switch arg {
            case let .bool(_, value): return .bool(value)
            case let .number(_, number): return try idealConstant(arg, number)
            case let .string(_, _, text): return .string(text)
            default: throw failure("can't handle assignment of \(arg.description) to empty interface argument")
            }
        }
    }

    private func validateType(_ value: TemplateValue?, _ param: TemplateParam?) throws(Interrupt) -> TemplateValue? {
        guard let param else { return value }
        guard let value else {
            if param.canBeNil { return nil }
            throw failure("invalid value; expected \(param.goName)")
        }
        switch (param, value) {
        case (.value, _), (.any, _), (.string, .string), (.int, .int), (.stringSlice, .null):
            return value
        case let (.stringSlice, .array(items)) where items.allSatisfy({ if case .string = $0 { true } else { false } }):
            return value
        default:
            throw failure("wrong type for value; expected \(param.goName); got \(value.goTypeName)")
        }
    }
}
