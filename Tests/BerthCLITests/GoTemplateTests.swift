import Testing
@testable import BerthCLI

/// One template rendering: expected output is what Go's text/template (with docker/cli's
/// functions) prints for the same data decoded as JSON.
struct RenderCase: Sendable, CustomTestStringConvertible {
    var template: String
    var json: String
    var expected: String
    var testDescription: String { template }

    init(_ template: String, _ json: String, _ expected: String) {
        self.template = template
        self.json = json
        self.expected = expected
    }
}

/// One failing template: the expected text is Go's error message.
struct ErrorCase: Sendable, CustomTestStringConvertible {
    var template: String
    var json: String
    var kind: TemplateError.Kind
    var expected: String
    var testDescription: String { template }

    init(_ template: String, _ json: String, _ kind: TemplateError.Kind, _ expected: String) {
        self.template = template
        self.json = json
        self.kind = kind
        self.expected = expected
    }

    init(_ template: String, _ kind: TemplateError.Kind, _ expected: String) {
        self.init(template, "{}", kind, expected)
    }
}

/// A docker list format: rows rendered through `TableFormat`.
struct TableCase: Sendable, CustomTestStringConvertible {
    var format: String
    var headers: [String: String]
    var rows: String
    var expected: String
    var testDescription: String { format }

    init(_ format: String, _ headers: [String: String], _ rows: String, _ expected: String) {
        self.format = format
        self.headers = headers
        self.rows = rows
        self.expected = expected
    }
}

private let image = #"{"ID":"sha256:abc","Repository":"nginx","Tag":"latest","RepoTags":["nginx:latest","nginx:1.27"],"Size":187000000,"Running":true,"Config":{"Cmd":["nginx","-g","daemon off;"],"Labels":{"a":"1","maintainer":"NGINX <docker@nginx.com>"},"Env":null}}"#

@Suite("Go text/template")
struct GoTemplateTests {
    static let docs: [RenderCase] = [
        RenderCase("{{.Repository}}:{{.Tag}}", image, "nginx:latest"),
        RenderCase("{{.Config.Cmd}}", image, "[nginx -g daemon off;]"),
        RenderCase(#"{{index .Config.Labels "a"}}"#, image, "1"),
        RenderCase(#"{{index .Config.Labels "missing"}}"#, image, "<no value>"),
        RenderCase("{{range .RepoTags}}{{.}} {{end}}", image, "nginx:latest nginx:1.27 "),
        RenderCase("{{if .Running}}up{{else}}down{{end}}", image, "up"),
        RenderCase("{{if .Running}}up{{else}}down{{end}}", #"{"Running":false}"#, "down"),
        RenderCase("{{if .Running}}up{{else}}down{{end}}", "{}", "down"),
        RenderCase("{{.Size}}", image, "187000000"),
        RenderCase("{{json .Config.Labels}}", image, #"{"a":"1","maintainer":"NGINX <docker@nginx.com>"}"#),
        RenderCase("{{json .RepoTags}}", image, #"["nginx:latest","nginx:1.27"]"#),
        RenderCase("{{json .Config.Env}}", image, "null"),
        RenderCase("{{json .}}", #"{"b":1,"a":[true,null,2.5,"x"]}"#, #"{"a":[true,null,2.5,"x"],"b":1}"#),
    ]

    static let values: [RenderCase] = [
        RenderCase("{{.}}", #"{"b":2,"a":[1,"x",null],"c":{"d":true}}"#, "map[a:[1 x <nil>] b:2 c:map[d:true]]"),
        RenderCase("{{.}}", #"[]"#, "[]"),
        RenderCase("{{.}}", #"{}"#, "map[]"),
        RenderCase("{{.}}", #""plain""#, "plain"),
        RenderCase("{{.}}", "null", "<no value>"),
        RenderCase("{{.Missing}}", "{}", "<no value>"),
        RenderCase("{{.Missing.Deeper}}", "{}", "<no value>"),
        RenderCase("{{.N}}", #"{"N":null}"#, "<no value>"),
        RenderCase("{{print .N}}", #"{"N":null}"#, "<nil>"),
        RenderCase("{{print .Missing}}", "{}", "<nil>"),
        RenderCase("{{json .Missing}}", "{}", "null"),
        RenderCase("{{range .}}{{.}},{{end}}", "[1,null]", "1,<no value>,"),
        RenderCase("{{.F}}", #"{"F":1.5}"#, "1.5"),
        RenderCase("{{.F}}", #"{"F":100.0}"#, "100"),
        RenderCase("{{.F}}", #"{"F":1000000.0}"#, "1e+06"),
        RenderCase("{{.F}}", #"{"F":123456.0}"#, "123456"),
        RenderCase("{{.F}}", #"{"F":0.00001}"#, "1e-05"),
        RenderCase("{{.F}}", #"{"F":0.0001}"#, "0.0001"),
        RenderCase("{{.F}}", #"{"F":-2.5e-10}"#, "-2.5e-10"),
        RenderCase("{{json .F}}", #"{"F":1e-7}"#, "1e-7"),
        RenderCase("{{json .F}}", #"{"F":1e21}"#, "1e+21"),
        RenderCase("{{json .F}}", #"{"F":123456789.0}"#, "123456789"),
        RenderCase("{{.B}} {{.I}}", #"{"B":false,"I":-42}"#, "false -42"),
        RenderCase("{{.F}} {{.G}}", #"{"F":1e21,"G":123456789.0}"#, "1e+21 1.23456789e+08"),
        RenderCase("{{.Größe}} {{index . \"key with space\"}}", #"{"Größe":"xl","key with space":1}"#, "xl 1"),
        RenderCase("{{.A.B.C}}", #"{"A":{"B":{"C":"deep"}}}"#, "deep"),
        RenderCase("{{json .S}}", #"{"S":"q\"b\\s\n\u0001<>&\u2028é"}"#, #""q\"b\\s\n\u0001<>&\u2028é""#),
        RenderCase("{{json .}}", #"[1,"a",null,true,2.5,{}]"#, #"[1,"a",null,true,2.5,{}]"#),
    ]

    static let syntax: [RenderCase] = [
        RenderCase("a  {{- .X -}}  b", #"{"X":"x"}"#, "axb"),
        RenderCase("a\n\t{{- .X}}\n", #"{"X":"x"}"#, "ax\n"),
        RenderCase("{{.X -}}\n  b", #"{"X":"x"}"#, "xb"),
        RenderCase("{{-3}}", "{}", "-3"),
        RenderCase("a {{/* comment */}} b", "{}", "a  b"),
        RenderCase("a {{- /* comment */ -}} b", "{}", "ab"),
        RenderCase("{{.A\n}}", #"{"A":"multi-line action"}"#, "multi-line action"),
        RenderCase("{{$x := .A}}{{$x}}-{{$x}}", #"{"A":"v"}"#, "v-v"),
        RenderCase("<\n{{- if .A}}\n  yes\n{{- end}}\n>", #"{"A":1}"#, "<\n  yes\n>"),
        RenderCase("{{range $i, $e := .L}}{{if eq $i 1}}{{break}}{{end}}{{$e}}{{end}}", #"{"L":["a","b"]}"#, "a"),
        RenderCase("{{$x := 1}}{{range .L}}{{$x = .}}{{end}}{{$x}}", #"{"L":["a","b","c"]}"#, "c"),
        RenderCase("{{range $i, $e := .L}}{{$i}}={{$e}};{{end}}", #"{"L":["a","b"]}"#, "0=a;1=b;"),
        RenderCase("{{range $e := .L}}{{$e}}{{end}}", #"{"L":["a","b"]}"#, "ab"),
        RenderCase("{{range $k, $v := .M}}{{$k}}:{{$v}},{{end}}", #"{"M":{"b":2,"a":1}}"#, "a:1,b:2,"),
        RenderCase("{{range .M}}{{.}}{{end}}", #"{"M":{"b":2,"a":1}}"#, "12"),
        RenderCase("{{range .L}}{{.}}{{else}}empty{{end}}", #"{"L":[]}"#, "empty"),
        RenderCase("{{range .L}}{{.}}{{else}}empty{{end}}", "{}", "empty"),
        RenderCase("{{range .L}}{{$.P}}{{.}} {{end}}", #"{"P":"-","L":["a","b"]}"#, "-a -b "),
        RenderCase(#"{{range .L}}{{if eq . "b"}}{{break}}{{end}}{{.}}{{end}}"#, #"{"L":["a","b","c"]}"#, "a"),
        RenderCase(#"{{range .L}}{{if eq . "b"}}{{continue}}{{end}}{{.}}{{end}}"#, #"{"L":["a","b","c"]}"#, "ac"),
        RenderCase("{{range 3}}{{.}}{{end}}", "{}", "012"),
        RenderCase("{{with .A}}{{.B}}{{else}}none{{end}}", #"{"A":{"B":"b"}}"#, "b"),
        RenderCase("{{with .A}}{{.B}}{{else}}none{{end}}", #"{"A":null}"#, "none"),
        RenderCase("{{with .A}}a{{else with .B}}{{.}}{{end}}", #"{"B":"b"}"#, "b"),
        RenderCase(#"{{if eq .S "x"}}x{{else if eq .S "y"}}why{{else}}no{{end}}"#, #"{"S":"y"}"#, "why"),
        RenderCase(#"{{if eq .S "x"}}x{{else if eq .S "y"}}why{{else}}no{{end}}"#, #"{"S":"z"}"#, "no"),
        RenderCase("{{if $v := .A}}{{$v}}{{end}}", #"{"A":"set"}"#, "set"),
        RenderCase("{{(index .Items 1).Name}}", #"{"Items":[{"Name":"a"},{"Name":"b"}]}"#, "b"),
        RenderCase("{{$first := index .Items 0}}{{$first.Name}}", #"{"Items":[{"Name":"a"}]}"#, "a"),
        RenderCase("{{.N | printf \"%03d\"}}", #"{"N":5}"#, "005"),
        RenderCase(#"{{"hello" | len}}"#, "{}", "5"),
        RenderCase("{{1.0}} {{0x10}} {{'a'}} {{1e3}} {{1_000}} {{0o17}}", "{}", "1 16 97 1000 1000 15"),
        RenderCase(#"{{"a\tb\u00e9\x41"}}"#, "{}", "a\tbéA"),
        RenderCase("{{`a\\tb`}}", "{}", "a\\tb"),
        RenderCase("{{true}} {{false}}", "{}", "true false"),
    ]

    static let functions: [RenderCase] = [
        RenderCase("{{len .L}} {{len .M}} {{len .S}}", #"{"L":[1,2,3],"M":{"a":1},"S":"héllo"}"#, "3 1 6"),
        RenderCase("{{index .L 1}} {{index .M \"a\"}} {{index .S 0}}", #"{"L":["x","y"],"M":{"a":"A"},"S":"abc"}"#, "y A 97"),
        RenderCase("{{index .Grid 1 0}}", #"{"Grid":[[1,2],[3,4]]}"#, "3"),
        RenderCase("{{slice .S 1 3}} {{slice .L 1}}", #"{"S":"abcdef","L":[1,2,3]}"#, "bc [2 3]"),
        RenderCase("{{and 1 0 2}} {{and 1 2}} {{or 0 \"\" \"x\"}} {{or 0 \"\"}}", "{}", "0 2 x "),
        RenderCase("{{not .B}} {{not 0}} {{not .L}}", #"{"B":true,"L":[1]}"#, "false true false"),
        RenderCase("{{eq .N 5}} {{eq .S \"b\" \"a\"}} {{ne 1 2}} {{eq .Missing nil}}", #"{"N":5,"S":"a"}"#, "true true true true"),
        RenderCase("{{lt 1 2}} {{le 2 2}} {{gt \"b\" \"a\"}} {{ge 1 2}} {{lt 1.5 2.5}}", "{}", "true true true false true"),
        RenderCase("{{eq .Missing \"x\"}}", "{}", "false"),
        RenderCase(#"{{print "a" 1 2 "b"}}"#, "{}", "a1 2b"),
        RenderCase(#"{{println "a" 1}}"#, "{}", "a 1\n"),
        RenderCase(#"{{printf "%s-%d" .S .N}}"#, #"{"S":"a","N":5}"#, "a-5"),
        RenderCase(#"{{printf "%v|%q|%t|%x" .L .S true 255}}"#, #"{"L":["a",1],"S":"q\""}"#, #"[a 1]|"q\""|true|ff"#),
        RenderCase(#"{{printf "%5s|%-5s|%05d|%.2f|%6.1f" "a" "b" 42 3.14159 2.25}}"#, "{}", "    a|b    |00042|3.14|   2.2"),
        RenderCase(#"{{printf "%d" "x"}}"#, "{}", "%!d(string=x)"),
        RenderCase(#"{{printf "%6.2f|%-8v|%+d|%s" 3.14159 "ab" 5 .L}}"#, #"{"L":["a","b"]}"#, "  3.14|ab      |+5|[a b]"),
        RenderCase(#"{{printf "%v %v %d" .N .Missing .N}}"#, #"{"N":null}"#, "<nil> <nil> %!d(<nil>)"),
        RenderCase("{{print 1 2}} {{print \"a\" \"b\"}}", "{}", "1 2 ab"),
        RenderCase(#"{{printf "%d %d" 1}}"#, "{}", "1 %!d(MISSING)"),
        RenderCase(#"{{printf "%d" 1 "x"}}"#, "{}", "1%!(EXTRA string=x)"),
        RenderCase(#"{{printf "100%%"}}"#, "{}", "100%"),
        RenderCase(#"{{printf "%v" .}}"#, #"{"k":[1]}"#, "map[k:[1]]"),
        RenderCase(#"{{html "<a href='x'>&</a>"}} {{urlquery "a b&c=d/é"}}"#, "{}", "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt; a+b%26c%3Dd%2F%C3%A9"),
    ]

    static let dockerFunctions: [RenderCase] = [
        RenderCase("{{.S | upper}} {{lower \"ABC\"}}", #"{"S":"abc"}"#, "ABC abc"),
        RenderCase(#"{{title "hello world-foo bar_baz"}}"#, "{}", "Hello World-Foo Bar_baz"),
        RenderCase(#"{{split .S ","}}"#, #"{"S":"a,b,,c"}"#, "[a b  c]"),
        RenderCase(#"{{split "" ","}} {{len (split "" ",")}}"#, "{}", "[] 1"),
        RenderCase(#"{{join .L ", "}}"#, #"{"L":["a","b"]}"#, "a, b"),
        RenderCase(#"{{join (split "a:b:c" ":") "/"}}"#, "{}", "a/b/c"),
        RenderCase("[{{pad .S 2 3}}][{{pad \"\" 2 3}}]", #"{"S":"x"}"#, "[  x   ][]"),
        RenderCase("{{truncate .S 3}} {{truncate \"ab\" 3}} {{truncate \"abc\" 3}}", #"{"S":"abcdef"}"#, "abc ab abc"),
        RenderCase(#"{{json .}}"#, #"{"html":"<b>&amp;</b>"}"#, #"{"html":"<b>&amp;</b>"}"#),
    ]

    static let failures: [ErrorCase] = [
        ErrorCase("{{.A", .parse, "template: :1: unclosed action"),
        ErrorCase("a\n{{.A\n", .parse, "template: :3: unclosed action started at :2"),
        ErrorCase("{{.A}", .parse, "template: :1: bad character U+007D '}'"),
        ErrorCase("{{foo .A}}", .parse, #"template: :1: function "foo" not defined"#),
        ErrorCase("{{if .A}}x", .parse, "template: :1: unexpected EOF"),
        ErrorCase("{{end}}", .parse, "template: :1: unexpected {{end}}"),
        ErrorCase("x\n{{else}}", .parse, "template: :2: unexpected {{else}}"),
        ErrorCase("{{$x}}", .parse, #"template: :1: undefined variable "$x""#),
        ErrorCase("{{}}", .parse, "template: :1: missing value for command"),
        ErrorCase("{{if}}{{end}}", .parse, "template: :1: missing value for if"),
        ErrorCase(#"{{"abc}}"#, .parse, "template: :1: unterminated quoted string"),
        ErrorCase("{{break}}", .parse, "template: :1: {{break}} outside {{range}}"),
        ErrorCase("{{.A | 3}}", .parse, "template: :1: non executable command in pipeline stage 2"),
        ErrorCase("{{/* x }}", .parse, "template: :1: unclosed comment"),
        ErrorCase("{{.A)}}", .parse, "template: :1: unexpected right paren"),
        ErrorCase("{{(.A}}", .parse, "template: :1: unclosed left paren"),
        ErrorCase("{{3.A}}", .parse, "template: :1: bad number syntax: \"3.A\""),
        ErrorCase("{{if .A}}{{else}}{{else}}{{end}}", .parse, "template: :1: expected end; found {{else}}"),
        ErrorCase("{{.Name.X}}", #"{"Name":"n"}"#, .execution,
                  #"template: :1:7: executing "" at <.Name.X>: can't evaluate field X in type string"#),
        ErrorCase("{{.A.B}}", #"{"A":null}"#, .execution,
                  #"template: :1:4: executing "" at <.A.B>: nil pointer evaluating interface {}.B"#),
        ErrorCase("{{range .L}}{{.X}}{{end}}", #"{"L":[1]}"#, .execution,
                  #"template: :1:14: executing "" at <.X>: can't evaluate field X in type int"#),
        ErrorCase("{{index .L 5}}", #"{"L":[1,2]}"#, .execution,
                  #"template: :1:2: executing "" at <index .L 5>: error calling index: index out of range: 5"#),
        ErrorCase("{{len 3}}", .execution, #"template: :1:2: executing "" at <len 3>: error calling len: len of type int"#),
        ErrorCase("{{upper .N}}", #"{"N":5}"#, .execution,
                  #"template: :1:8: executing "" at <.N>: wrong type for value; expected string; got int"#),
        ErrorCase("{{upper .Missing}}", .execution,
                  #"template: :1:8: executing "" at <.Missing>: invalid value; expected string"#),
        ErrorCase("{{pad .S \"1\" 2}}", #"{"S":"x"}"#, .execution,
                  #"template: :1:9: executing "" at <"1">: expected integer; found "1""#),
        ErrorCase("{{.ID | truncate 3}}", #"{"ID":"abcdef"}"#, .execution,
                  #"template: :1:17: executing "" at <3>: expected string; found 3"#),
        ErrorCase("{{range .S}}{{end}}", #"{"S":"abc"}"#, .execution,
                  #"template: :1:8: executing "" at <.S>: range can't iterate over abc"#),
        ErrorCase("{{.A 1}}", #"{"A":"x"}"#, .execution,
                  #"template: :1:2: executing "" at <.A>: A is not a method but has arguments"#),
        ErrorCase("{{eq .S 1}}", #"{"S":"x"}"#, .execution,
                  #"template: :1:2: executing "" at <eq .S 1>: error calling eq: incompatible types for comparison: string and int"#),
        ErrorCase("{{lt true false}}", .execution,
                  #"template: :1:2: executing "" at <lt true false>: error calling lt: invalid type for comparison"#),
        ErrorCase("{{printf}}", .execution,
                  #"template: :1:2: executing "" at <printf>: wrong number of args for printf: want at least 1 got 0"#),
        ErrorCase("{{nil}}", .execution, #"template: :1:2: executing "" at <nil>: nil is not a command"#),
        ErrorCase("line1\n  {{.X.Y}}", #"{"X":[1]}"#, .execution,
                  #"template: :2:6: executing "" at <.X.Y>: can't evaluate field Y in type []interface {}"#),
    ]

    private func render(_ template: String, _ json: String) throws -> String {
        try GoTemplate(template).render(TemplateValue(parsingJSON: json))
    }

    @Test("docker --format examples", arguments: docs)
    func dockerExamples(_ example: RenderCase) throws {
        #expect(try render(example.template, example.json) == example.expected)
    }

    @Test("default value rendering, nil and JSON numbers", arguments: values)
    func valueRendering(_ example: RenderCase) throws {
        #expect(try render(example.template, example.json) == example.expected)
    }

    @Test("actions, trim markers, variables and control flow", arguments: syntax)
    func syntaxCases(_ example: RenderCase) throws {
        #expect(try render(example.template, example.json) == example.expected)
    }

    @Test("Go builtin functions", arguments: functions)
    func builtinFunctions(_ example: RenderCase) throws {
        #expect(try render(example.template, example.json) == example.expected)
    }

    @Test("docker template functions", arguments: dockerFunctions)
    func dockerTemplateFunctions(_ example: RenderCase) throws {
        #expect(try render(example.template, example.json) == example.expected)
    }

    @Test("parse and execution errors carry Go's message and position", arguments: failures)
    func errors(_ example: ErrorCase) throws {
        let data = try TemplateValue(parsingJSON: example.json)
        let error = #expect(throws: TemplateError.self) {
            try GoTemplate(example.template).render(data)
        }
        #expect(error?.kind == example.kind)
        #expect(error?.description == example.expected)
    }

    @Test func missingKeyErrorMode() throws {
        let template = try GoTemplate("{{.Config.Nope}}", missingKey: .error)
        let error = #expect(throws: TemplateError.self) {
            try template.render(TemplateValue(parsingJSON: image))
        }
        #expect(error?.message == #"map has no entry for key "Nope""#)
        #expect(error?.dockerDescription == #"template parsing error: template: :1:9: executing "" at <.Config.Nope>: map has no entry for key "Nope""#)
    }

    @Test func unsupportedActionsFailClearly() {
        #expect(throws: TemplateError.self) { try GoTemplate(#"{{define "x"}}a{{end}}"#) }
        #expect(throws: TemplateError.self) { try GoTemplate(#"{{template "x" .}}"#) }
    }

    @Test func valuesFromJSONSerialization() throws {
        let value = try TemplateValue(parsingJSON: #"{"z":1,"a":1.0,"m":{"y":true,"b":null},"s":"x"}"#)
        #expect(value == .object([
            ("a", .double(1)),
            ("m", .object([("b", .null), ("y", .bool(true))])),
            ("s", .string("x")),
            ("z", .int(1)),
        ]))
        #expect(TemplateValue(json: ["k": [1, 2.5, "s", true] as [Any]]) ==
            .object([("k", .array([.int(1), .double(2.5), .string("s"), .bool(true)]))]))
    }
}

@Suite("docker table formatting")
struct TableFormatTests {
    static let imageHeaders = ["ID": "IMAGE ID", "Repository": "REPOSITORY", "Tag": "TAG", "Size": "SIZE"]

    static let cases: [TableCase] = [
        TableCase(#"table {{.ID}}\t{{.Repository}}"#, imageHeaders,
                  #"[{"ID":"abc123","Repository":"nginx"},{"ID":"d","Repository":"alpine"}]"#,
                  "IMAGE ID   REPOSITORY\nabc123     nginx\nd          alpine\n"),
        TableCase(#"table {{.ID}}\t{{.Repository}}"#, imageHeaders, "[]", "IMAGE ID   REPOSITORY\n"),
        TableCase(#"table {{.A}}\t{{.B}}\t{{.C}}"#, ["A": "A", "B": "B", "C": "C"],
                  #"[{"A":1,"B":"two","C":3}]"#,
                  "A         B         C\n1         two       3\n"),
        TableCase(#"table {{.Repository}}\t{{.Tag}}\t{{.Size}}"#, imageHeaders,
                  #"[{"Repository":"registry.example.com/team/app","Tag":"v1","Size":"12MB"},{"Repository":"x","Tag":"a-much-longer-tag","Size":"1GB"}]"#,
                  "REPOSITORY                      TAG                 SIZE\n"
                      + "registry.example.com/team/app   v1                  12MB\n"
                      + "x                               a-much-longer-tag   1GB\n"),
        TableCase("table {{.Repository | upper}}", imageHeaders, #"[{"Repository":"nginx"}]"#, "REPOSITORY\nNGINX\n"),
        TableCase(#"table {{json .ID}}\t{{truncate .Repository 2}}"#, imageHeaders, #"[{"ID":"x","Repository":"nginx"}]"#,
                  "IMAGE ID   REPOSITORY\n\"x\"        ng\n"),
        TableCase(#"table {{.Unknown}}\t{{.ID}}"#, imageHeaders, #"[{"ID":"x"}]"#,
                  "<no value>   IMAGE ID\n<no value>   x\n"),
        TableCase("  table {{.ID}}  ", imageHeaders, #"[{"ID":"x"}]"#, "table x\n"),
        TableCase(#"{{.ID}}: {{.Repository}}"#, imageHeaders, #"[{"ID":"1","Repository":"a"},{"ID":"2","Repository":"b"}]"#,
                  "1: a\n2: b\n"),
        TableCase(#"{{.ID}}\t{{.Repository}}\n--"#, imageHeaders, #"[{"ID":"1","Repository":"a"}]"#, "1\ta\n--\n"),
        TableCase("json", imageHeaders, #"[{"ID":"1"}]"#, "{\"ID\":\"1\"}\n"),
        TableCase("  {{.ID}}  ", imageHeaders, #"[{"ID":"1"}]"#, "1\n"),
    ]

    @Test("table and plain list formats", arguments: cases)
    func tableFormatting(_ example: TableCase) throws {
        guard case let .array(rows) = try TemplateValue(parsingJSON: example.rows) else {
            Issue.record("rows must be a JSON array")
            return
        }
        let format = try TableFormat(example.format, headers: example.headers)
        #expect(try format.render(rows) == example.expected)
    }

    @Test func preprocessingMatchesDocker() {
        #expect(TableFormat.preprocess(#"table {{.A}}\t{{.B}}"#) == (true, "{{.A}}\t{{.B}}"))
        #expect(TableFormat.preprocess(#"{{.A}}\n"#) == (false, "{{.A}}\n"))
        #expect(TableFormat.preprocess(#"a\\tb\x"#) == (false, "a\\\tb\\x"))
        #expect(TableFormat.preprocess("json") == (false, "{{json .}}"))
    }

    @Test func rowErrorsPropagate() throws {
        let format = try TableFormat("table {{.Name.X}}")
        #expect(throws: TemplateError.self) {
            try format.render([.object([("Name", .string("n"))])])
        }
    }

    @Test func tabwriterAlignment() {
        // Columns are blocks of consecutive lines; a tab-less line ends every block.
        #expect(TabWriter.align("a\tb\nc\ndddddddddddd\te\n") == "a         b\nc\ndddddddddddd   e\n")
        // The last cell of a line is never padded; empty cells are.
        #expect(TabWriter.align("x\ty\n\tz\n") == "x         y\n          z\n")
        // Wide (East Asian) characters count as two columns.
        #expect(TabWriter.align("表\tx\nab\ty\n") == "表        x\nab        y\n")
        // Lines with more columns form nested blocks.
        #expect(TabWriter.align("a\tb\tc\naaaaaaaaaaaa\tb\n") == "a              b         c\naaaaaaaaaaaa   b\n")
        // Trailing text without a newline is written as-is.
        #expect(TabWriter.align("a\tb") == "a         b")
    }
}
