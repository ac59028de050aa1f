import Testing
@testable import BerthCompose

@Suite struct InterpolationTests {
    static let variables = ["A": "apple", "EMPTY": "", "N": "3", "HOME": "/home/s"]

    /// (template, result) as compose-go's template package gives them.
    static let cases: [(String, String)] = [
        ("plain", "plain"),
        ("$A", "apple"),
        ("${A}", "apple"),
        ("x${A}y", "xappley"),
        ("$A-$N", "apple-3"),
        ("$$A", "$A"),
        ("$${A}", "${A}"),
        ("a$$", "a$"),
        ("${UNSET}", ""),
        ("${UNSET:-dflt}", "dflt"),
        ("${UNSET-dflt}", "dflt"),
        ("${EMPTY:-dflt}", "dflt"),
        ("${EMPTY-dflt}", ""),
        ("${A:-dflt}", "apple"),
        ("${A:+alt}", "alt"),
        ("${A+alt}", "alt"),
        ("${EMPTY:+alt}", ""),
        ("${EMPTY+alt}", "alt"),
        ("${UNSET+alt}", ""),
        ("${UNSET:-${A}}", "apple"),
        ("${UNSET:-${UNSET2:-deep}}", "deep"),
        ("${UNSET:-a b:c}", "a b:c"),
        ("${UNSET:-$$}", "$"),
        ("${A:?never}", "apple"),
        ("${EMPTY?fine}", ""),
        ("${A:-${X:?not evaluated}}", "apple"),
        ("é${A}ü", "éappleü"),
    ]

    @Test(arguments: cases) func expands(_ template: String, _ expected: String) throws {
        var i = Interpolation(variables: Self.variables)
        #expect(try i.expand(template) == expected)
    }

    @Test func unsetVariablesAreRecorded() throws {
        var i = Interpolation(variables: Self.variables)
        _ = try i.expand("$NOPE ${ALSO} ${GUARDED:-x} $A")
        #expect(i.unset == ["NOPE", "ALSO"])
    }

    static let failures: [(String, Interpolation.Failure)] = [
        ("${UNSET:?you must set it}", .required(variable: "UNSET", message: "you must set it")),
        ("${EMPTY:?}", .required(variable: "EMPTY", message: "")),
        ("${UNSET?no}", .required(variable: "UNSET", message: "no")),
        ("${UNSET:-${NESTED:?inner}}", .required(variable: "NESTED", message: "inner")),
        ("$", .invalid("$")),
        ("cost $5", .invalid("cost $5")),
        ("${", .invalid("${")),
        ("${A", .invalid("${A")),
        ("${}", .invalid("${}")),
        ("${1A}", .invalid("${1A}")),
        ("${A:x}", .invalid("${A:x}")),
        ("${A%%x}", .invalid("${A%%x}")),
        ("${UNSET:-unclosed", .invalid("${UNSET:-unclosed")),
        ("$ {A}", .invalid("$ {A}")),
    ]

    @Test(arguments: failures) func refuses(_ template: String, _ failure: Interpolation.Failure) {
        var i = Interpolation(variables: Self.variables)
        #expect(throws: failure) { try i.expand(template) }
    }

    @Test func deepNestingIsRefusedNotRecursedInto() {
        var i = Interpolation(variables: [:])
        let template = String(repeating: "${U:-", count: 10_000) + String(repeating: "}", count: 10_000)
        #expect(throws: Interpolation.Failure.self) { try i.expand(template) }
    }

    /// Values in a file: every string, not keys, not x- extensions; the path names the value.
    @Test func inAFile() throws {
        let dir = try ProjectDir(["compose.yaml": """
        x-note: "$not interpolated"
        services:
          ${A}:
            image: "busybox:${TAG:-1.36}"
            command: echo $$HOME "${A}"
            environment:
              PORT: ${N}
              FROM_ENV_FILE_DEFAULT: $FROM_DOTENV
            ports: ["${N}000:80"]
            tty: ${TTY:-true}
        """, ".env": "FROM_DOTENV=dotenv\nA=overridden-by-process\n"])
        let p = try dir.load(environment: Self.variables)
        let s = try #require(p.services["${A}"])
        #expect(s.image == "busybox:1.36")
        #expect(s.command == ["echo", "$HOME", "apple"])
        #expect(s.environment == ["PORT": "3", "FROM_ENV_FILE_DEFAULT": "dotenv"])
        #expect(s.ports == [ServicePort(target: 80, published: "3000")])
        #expect(s.tty == true)
    }

    @Test func invalidExpressionInAFileNamesThePath() {
        #expect(loadError("services:\n  web:\n    image: x\n    command: [\"echo\", \"costs $5\"]\n")?
            .hasSuffix("compose.yaml:4: error while interpolating services.web.command.1: invalid interpolation format for \"costs $5\"; you may need to escape any $ with another $") == true)
    }
}
