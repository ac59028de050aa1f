/// Parse tree of a Go template (the subset Berth supports).
///
/// `description` reproduces Go's `Node.String()`, which appears in execution
/// errors as `executing "" at <...>`.
indirect enum TemplateNode: Sendable {
    case text(String)
    case action(pos: Int, pipe: TemplatePipe)
    case ifNode(TemplateControl)
    case rangeNode(TemplateControl)
    case withNode(TemplateControl)
    case breakNode(pos: Int)
    case continueNode(pos: Int)

    var description: String {
        switch self {
        case let .text(text): return text
        case let .action(_, pipe): return "{{\(pipe.description)}}"
        case let .ifNode(control): return control.description(keyword: "if")
        case let .rangeNode(control): return control.description(keyword: "range")
        case let .withNode(control): return control.description(keyword: "with")
        case .breakNode: return "{{break}}"
        case .continueNode: return "{{continue}}"
        }
    }
}

/// `if`, `range` and `with` share this shape.
struct TemplateControl: Sendable {
    var pos: Int
    var pipe: TemplatePipe
    var list: [TemplateNode]
    var elseList: [TemplateNode]?

    func description(keyword: String) -> String {
        var out = "{{\(keyword) \(pipe.description)}}" + list.map(\.description).joined()
        if let elseList {
            out += "{{else}}" + elseList.map(\.description).joined()
        }
        return out + "{{end}}"
    }
}
