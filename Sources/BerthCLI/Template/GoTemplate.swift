/// A parsed Go `text/template` with docker/cli's template functions
/// (`json`, `split`, `join`, `title`, `lower`, `upper`, `pad`, `truncate`).
///
/// ```swift
/// let template = try GoTemplate("{{.Repository}}:{{.Tag}}")
/// let line = try template.render(image)
/// ```
///
/// Unlike docker's list formatter (see ``TableFormat``), the source is used
/// verbatim: `\t` typed literally is not turned into a tab, as with
/// `docker inspect --format`.
public struct GoTemplate: Sendable {
    /// What a field lookup on an object does when the key is absent (Go's `missingkey` option).
    public enum MissingKey: Sendable, Equatable {
        /// Go's default: the result is "no value" and prints as `<no value>`.
        case `default`
        /// The element type's zero value (a nil interface for JSON objects).
        case zero
        /// Execution fails with `map has no entry for key "Name"` (docker's inspect fallback).
        case error
    }

    /// The template text as given.
    public let source: String
    /// Missing-key behaviour used by ``render(_:)``.
    public var missingKey: MissingKey
    /// Name used in error messages; docker uses the empty name.
    public let name: String

    private let root: [TemplateNode]

    /// The functions available to every template: Go's builtins plus docker's.
    static let standardFunctions: [String: TemplateFunction] =
        GoBuiltins.functions.merging(DockerTemplateFunctions.basic) { _, docker in docker }

    /// The functions used for table headers (docker's `HeaderFunctions` on top of the standard ones).
    static let headerFunctions: [String: TemplateFunction] =
        standardFunctions.merging(DockerTemplateFunctions.header) { _, header in header }

    /// Parses `source`; throws a ``TemplateError`` of kind `.parse` with Go's message and line.
    public init(_ source: String, name: String = "", missingKey: MissingKey = .default) throws(TemplateError) {
        self.source = source
        self.name = name
        self.missingKey = missingKey
        root = try TemplateParser.parse(source, functions: Set(Self.standardFunctions.keys), name: name)
    }

    /// Executes the template against `value`; throws a ``TemplateError`` of kind `.execution`.
    public func render(_ value: TemplateValue) throws(TemplateError) -> String {
        var executor = TemplateExecutor(source: source, name: name, functions: Self.standardFunctions, missingKey: missingKey)
        try executor.run(root, data: value)
        return executor.output
    }

    /// Renders with docker's header functions and keeps partial output on failure,
    /// as docker/cli does when it writes a table header (it ignores that error).
    func renderHeader(_ value: TemplateValue) -> String {
        var executor = TemplateExecutor(source: source, name: name, functions: Self.headerFunctions, missingKey: missingKey)
        do {
            try executor.run(root, data: value)
        } catch {
            return executor.output
        }
        return executor.output
    }
}
