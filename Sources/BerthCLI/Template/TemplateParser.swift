/// Builds a ``TemplateNode`` tree from tokens, following `text/template/parse/parse.go`
/// (same grammar, variable scoping and error messages).
struct TemplateParser {
    private enum Item {
        case node(TemplateNode)
        case end
        case elseMarker

        var description: String {
            switch self {
            case let .node(node): return node.description
            case .end: return "{{end}}"
            case .elseMarker: return "{{else}}"
            }
        }
    }

    private let tokens: [TemplateToken]
    private let functions: Set<String>
    private let name: String
    private var index = 0
    private var furthest = 0
    private var vars = ["$"]
    private var rangeDepth = 0
    private var actionLine = 0

    /// Parses `source`; `functions` are the names callable from the template.
    static func parse(_ source: String, functions: Set<String>, name: String = "") throws(TemplateError) -> [TemplateNode] {
        var parser = TemplateParser(tokens: TemplateLexer.tokenize(source), functions: functions, name: name)
        return try parser.parseRoot()
    }

    private init(tokens: [TemplateToken], functions: Set<String>, name: String) {
        self.tokens = tokens
        self.functions = functions
        self.name = name
    }

    // MARK: - Token stream

    private mutating func next() -> TemplateToken {
        let token = tokens[min(index, tokens.count - 1)]
        furthest = max(furthest, min(index, tokens.count - 1))
        index += 1
        return token
    }

    private mutating func backup(_ count: Int = 1) {
        index -= count
    }

    private mutating func peek() -> TemplateToken {
        let token = next()
        backup()
        return token
    }

    private mutating func nextNonSpace() -> TemplateToken {
        var token = next()
        while token.kind == .space { token = next() }
        return token
    }

    private mutating func peekNonSpace() -> TemplateToken {
        let token = nextNonSpace()
        backup()
        return token
    }

    // MARK: - Errors

    private func failure(_ message: String) -> TemplateError {
        TemplateError(kind: .parse, message: message, line: tokens[furthest].line, templateName: name)
    }

    private func unexpected(_ token: TemplateToken, _ context: String) -> TemplateError {
        if token.kind == .error {
            var extra = ""
            if actionLine != 0 && actionLine != token.line {
                extra = token.value.hasSuffix(" action")
                    ? " started at \(name):\(actionLine)"
                    : " in action started at \(name):\(actionLine)"
            }
            return failure(token.goDescription + extra)
        }
        return failure("unexpected \(token.goDescription) in \(context)")
    }

    private mutating func expect(_ kind: TemplateToken.Kind, _ context: String) throws(TemplateError) -> TemplateToken {
        let token = nextNonSpace()
        guard token.kind == kind else { throw unexpected(token, context) }
        return token
    }

    // MARK: - Structure

    private mutating func parseRoot() throws(TemplateError) -> [TemplateNode] {
        var root: [TemplateNode] = []
        while peek().kind != .eof {
            if peek().kind == .leftDelim {
                let saved = index
                _ = next()
                if nextNonSpace().kind == .define {
                    throw failure("{{define}} is not supported")
                }
                index = saved
            }
            switch try textOrAction() {
            case let .node(node): root.append(node)
            case let item: throw failure("unexpected \(item.description)")
            }
        }
        return root
    }

    private mutating func itemList() throws(TemplateError) -> ([TemplateNode], Item) {
        var list: [TemplateNode] = []
        while peekNonSpace().kind != .eof {
            let item = try textOrAction()
            guard case let .node(node) = item else { return (list, item) }
            list.append(node)
        }
        throw failure("unexpected EOF")
    }

    private mutating func textOrAction() throws(TemplateError) -> Item {
        let token = nextNonSpace()
        switch token.kind {
        case .text:
            return .node(.text(token.value))
        case .leftDelim:
            actionLine = token.line
            defer { actionLine = 0 }
            return try action()
        default:
            throw unexpected(token, "input")
        }
    }

    private mutating func action() throws(TemplateError) -> Item {
        let token = nextNonSpace()
        switch token.kind {
        case .block, .template:
            throw failure("{{\(token.value)}} is not supported")
        case .breakKeyword, .continueKeyword:
            let close = nextNonSpace()
            guard close.kind == .rightDelim else { throw unexpected(close, "{{\(token.value)}}") }
            guard rangeDepth > 0 else { throw failure("{{\(token.value)}} outside {{range}}") }
            return .node(token.kind == .breakKeyword ? .breakNode(pos: token.pos) : .continueNode(pos: token.pos))
        case .elseKeyword:
            let following = peekNonSpace()
            if following.kind == .ifKeyword || following.kind == .with { return .elseMarker }
            _ = try expect(.rightDelim, "else")
            return .elseMarker
        case .end:
            _ = try expect(.rightDelim, "end")
            return .end
        case .ifKeyword:
            return .node(.ifNode(try parseControl("if")))
        case .range:
            return .node(.rangeNode(try parseControl("range")))
        case .with:
            return .node(.withNode(try parseControl("with")))
        default:
            backup()
            let start = peek()
            return .node(.action(pos: start.pos, pipe: try pipeline("command", end: .rightDelim)))
        }
    }

    private mutating func parseControl(_ context: String) throws(TemplateError) -> TemplateControl {
        let savedVars = vars.count
        defer { vars.removeLast(vars.count - savedVars) }
        let pipe = try pipeline(context, end: .rightDelim)
        if context == "range" { rangeDepth += 1 }
        let (list, terminator) = try itemList()
        if context == "range" { rangeDepth -= 1 }
        var elseList: [TemplateNode]?
        if case .elseMarker = terminator {
            if context == "if" && peek().kind == .ifKeyword {
                _ = next()
                elseList = [.ifNode(try parseControl("if"))]
            } else if context == "with" && peek().kind == .with {
                _ = next()
                elseList = [.withNode(try parseControl("with"))]
            } else {
                let (list, terminator) = try itemList()
                guard case .end = terminator else { throw failure("expected end; found \(terminator.description)") }
                elseList = list
            }
        }
        return TemplateControl(pos: pipe.pos, pipe: pipe, list: list, elseList: elseList)
    }

    // MARK: - Pipelines

    private mutating func pipeline(_ context: String, end: TemplateToken.Kind) throws(TemplateError) -> TemplatePipe {
        var pipe = TemplatePipe(pos: peekNonSpace().pos)
        try declarations(&pipe, context)
        while true {
            let token = nextNonSpace()
            switch token.kind {
            case end:
                try checkPipeline(pipe, context)
                return pipe
            case .bool, .charConstant, .complex, .dot, .field, .identifier, .number, .nilKeyword,
                 .rawString, .string, .variable, .leftParen:
                backup()
                pipe.cmds.append(try command())
            default:
                throw unexpected(token, context)
            }
        }
    }

    private mutating func declarations(_ pipe: inout TemplatePipe, _ context: String) throws(TemplateError) {
        while peekNonSpace().kind == .variable {
            let variableIndex = index
            let variable = next()
            let following = peekNonSpace()
            switch following.kind {
            case .assign, .declare:
                pipe.isAssign = following.kind == .assign
                _ = nextNonSpace()
                pipe.decl.append(variable.value)
                vars.append(variable.value)
                return
            case .char where following.value == ",":
                _ = nextNonSpace()
                pipe.decl.append(variable.value)
                vars.append(variable.value)
                if context == "range" && pipe.decl.count < 2 {
                    switch peekNonSpace().kind {
                    case .variable, .rightDelim, .rightParen:
                        continue
                    default:
                        throw failure("range can only initialize variables")
                    }
                }
                throw failure("too many declarations in \(context)")
            default:
                index = variableIndex
                return
            }
        }
    }

    private func checkPipeline(_ pipe: TemplatePipe, _ context: String) throws(TemplateError) {
        guard !pipe.cmds.isEmpty else { throw failure("missing value for \(context)") }
        for (offset, command) in pipe.cmds.enumerated().dropFirst() {
            switch command.args.first {
            case .bool, .dot, .nilValue, .number, .string:
                throw failure("non executable command in pipeline stage \(offset + 1)")
            default:
                break
            }
        }
    }

    private mutating func command() throws(TemplateError) -> TemplateCommand {
        var command = TemplateCommand(pos: peekNonSpace().pos)
        loop: while true {
            _ = peekNonSpace()
            if let operand = try operand() { command.args.append(operand) }
            let token = next()
            switch token.kind {
            case .space:
                continue loop
            case .rightDelim, .rightParen:
                backup()
            case .pipe:
                break
            default:
                throw unexpected(token, "operand")
            }
            break loop
        }
        guard !command.args.isEmpty else { throw failure("empty command") }
        return command
    }

    private mutating func operand() throws(TemplateError) -> TemplateArg? {
        guard let node = try term() else { return nil }
        guard peek().kind == .field else { return node }
        let chainPos = peek().pos
        var fields: [String] = []
        while peek().kind == .field {
            fields.append(contentsOf: Self.fieldNames(next().value))
        }
        switch node {
        case let .field(_, idents):
            return .field(pos: chainPos, idents: idents + fields)
        case let .variable(_, idents):
            return .variable(pos: chainPos, idents: idents + fields)
        case .bool, .string, .number, .nilValue, .dot:
            throw failure("unexpected . after term \(GoText.quote(node.description))")
        default:
            return .chain(pos: chainPos, node: node, fields: fields)
        }
    }

    private static func fieldNames(_ token: String) -> [String] {
        token.split(separator: ".", omittingEmptySubsequences: true).map(String.init)
    }

    private mutating func term() throws(TemplateError) -> TemplateArg? {
        let token = nextNonSpace()
        switch token.kind {
        case .identifier:
            guard functions.contains(token.value) else {
                throw failure("function \(GoText.quote(token.value)) not defined")
            }
            return .identifier(pos: token.pos, name: token.value)
        case .dot:
            return .dot(pos: token.pos)
        case .nilKeyword:
            return .nilValue(pos: token.pos)
        case .variable:
            guard vars.contains(token.value) else {
                throw failure("undefined variable \(GoText.quote(token.value))")
            }
            return .variable(pos: token.pos, idents: [token.value])
        case .field:
            return .field(pos: token.pos, idents: Self.fieldNames(token.value))
        case .bool:
            return .bool(pos: token.pos, value: token.value == "true")
        case .charConstant:
            do {
                let value = try GoLiteral.character(token.value)
                let number = TemplateNumber(text: token.value, intValue: value, floatValue: Double(value))
                return .number(pos: token.pos, value: number)
            } catch {
                throw failure(error.message)
            }
        case .number, .complex:
            do {
                return .number(pos: token.pos, value: try GoLiteral.number(token.value))
            } catch {
                throw failure(error.message)
            }
        case .leftParen:
            return .pipe(try pipeline("parenthesized pipeline", end: .rightParen))
        case .string, .rawString:
            do {
                return .string(pos: token.pos, quoted: token.value, text: try GoLiteral.unquote(token.value))
            } catch {
                throw failure(error.message)
            }
        default:
            backup()
            return nil
        }
    }
}
