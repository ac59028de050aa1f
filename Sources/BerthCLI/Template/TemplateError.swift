/// An error from parsing or executing a ``GoTemplate``.
///
/// ``description`` matches Go's `text/template` wording, e.g.
/// `template: :1: function "foo" not defined` or
/// `template: :1:2: executing "" at <.Name.X>: can't evaluate field X in type string`.
/// docker/cli prefixes these with `template parsing error: ` (see ``dockerDescription``).
public struct TemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Whether the template failed to parse or failed while rendering.
    public enum Kind: Sendable, Equatable {
        case parse
        case execution
    }

    /// Parse or execution failure.
    public var kind: Kind
    /// The bare message, e.g. `unclosed action`.
    public var message: String
    /// 1-based line in the template source.
    public var line: Int
    /// 0-based byte column on that line (execution errors only, as in Go).
    public var column: Int?
    /// The source form of the node being executed (execution errors only).
    public var context: String?
    /// The template name used in messages (docker uses the empty name).
    public var templateName: String

    /// Creates an error; normally produced by ``GoTemplate``.
    public init(kind: Kind, message: String, line: Int, column: Int? = nil, context: String? = nil, templateName: String = "") {
        self.kind = kind
        self.message = message
        self.line = line
        self.column = column
        self.context = context
        self.templateName = templateName
    }

    /// Go's error text.
    public var description: String {
        switch kind {
        case .parse:
            return "template: \(templateName):\(line): \(message)"
        case .execution:
            let location = "\(templateName):\(line):\(column ?? 0)"
            return "template: \(location): executing \"\(templateName)\" at <\(context ?? "")>: \(message)"
        }
    }

    /// The text docker/cli prints: `template parsing error: ` followed by Go's error text.
    public var dockerDescription: String {
        "template parsing error: \(description)"
    }
}
