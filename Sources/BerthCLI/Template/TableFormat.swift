/// docker/cli's list formatter (`formatter.Context`) for `--format` on list commands.
///
/// - `table ...`: the `table` prefix is stripped; a header row is rendered by running the
///   same template over the header map (field name → header text, e.g. `"ID": "IMAGE ID"`)
///   with docker's header functions, then every row; the result is aligned like
///   `tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)` (min width 10, padding 3, the last
///   cell of a line unpadded).
/// - `json`: shorthand for `{{json .}}`.
/// - anything else: a plain template, one output line per row.
///
/// Before parsing, surrounding spaces are trimmed and the two-character sequences
/// `\t` and `\n` are replaced by a tab and a newline, as docker/cli does.
public struct TableFormat: Sendable {
    /// The format as given on the command line.
    public let format: String
    /// Whether the format started with `table`.
    public let isTable: Bool
    /// The template after docker's preprocessing.
    public let template: GoTemplate
    /// Header text per field name, used for the table header row.
    public let headers: [String: String]

    /// Parses `format`; throws the template's parse error.
    public init(_ format: String, headers: [String: String] = [:]) throws(TemplateError) {
        self.format = format
        self.headers = headers
        let prepared = Self.preprocess(format)
        isTable = prepared.isTable
        template = try GoTemplate(prepared.template)
    }

    /// docker's `preFormat`: strip `table`, expand `json`, trim spaces, unescape `\t` and `\n`.
    public static func preprocess(_ format: String) -> (isTable: Bool, template: String) {
        var text = format
        let isTable = format.hasPrefix("table")
        if isTable {
            text = String(format.dropFirst("table".count))
        } else if format == "json" {
            text = "{{json .}}"
        }
        while text.hasPrefix(" ") { text.removeFirst() }
        while text.hasSuffix(" ") { text.removeLast() }
        var out = ""
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar?
        while let scalar = pending ?? iterator.next() {
            pending = nil
            guard scalar == "\\" else {
                out.unicodeScalars.append(scalar)
                continue
            }
            let following = iterator.next()
            switch following {
            case "t": out += "\t"
            case "n": out += "\n"
            default:
                out += "\\"
                pending = following
            }
        }
        return (isTable, out)
    }

    /// Renders all rows, each followed by a newline; for tables, the header row comes first
    /// (even with no rows) and everything is column-aligned.
    public func render(_ rows: [TemplateValue]) throws(TemplateError) -> String {
        var body = ""
        for row in rows {
            body += try template.render(row) + "\n"
        }
        guard isTable else { return body }
        return TabWriter.align(renderHeader() + "\n" + body)
    }

    /// The header row (unaligned): the template evaluated over ``headers``.
    public func renderHeader() -> String {
        let context = TemplateValue.object(headers.map { ($0.key, .string($0.value)) }.sorted { GoText.less($0.0, $1.0) })
        return template.renderHeader(context)
    }
}
