/// A pipeline: optional variable declarations followed by `|`-separated commands.
struct TemplatePipe: Sendable {
    var pos: Int
    var isAssign = false
    var decl: [String] = []
    var cmds: [TemplateCommand] = []

    var description: String {
        var out = ""
        if !decl.isEmpty {
            out = decl.joined(separator: ", ") + (isAssign ? " = " : " := ")
        }
        return out + cmds.map(\.description).joined(separator: " | ")
    }
}

/// A command: an operand followed by space-separated arguments.
struct TemplateCommand: Sendable {
    var pos: Int
    var args: [TemplateArg] = []

    var description: String {
        args.map { arg in
            if case let .pipe(pipe) = arg { return "(\(pipe.description))" }
            return arg.description
        }.joined(separator: " ")
    }
}
