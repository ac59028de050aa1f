import Testing
@testable import BerthDockerfile

@Suite struct VariableExpanderTests {
    static let variables = ["a": "A", "empty": "", "spaced": "x  y", "path": "/usr/local/bin/tool.tar.gz", "HOME": "/root"]
    let expander = VariableExpander(variables: variables)

    /// (input, expected) as Docker's documentation and the POSIX shell define them.
    static let words: [(String, String)] = [
        ("$a", "A"), ("${a}", "A"), ("pre${a}post", "preApost"), ("$a$a", "AA"),
        ("$unset", ""), ("${unset}", ""), ("$", "$"), ("a$", "a$"), ("$/x", "$/x"),
        ("${a:-b}", "A"), ("${unset:-b}", "b"), ("${empty:-b}", "b"), ("${empty-b}", ""), ("${unset-b}", "b"),
        ("${a:+b}", "b"), ("${unset:+b}", ""), ("${empty:+b}", ""), ("${empty+b}", "b"), ("${a+b}", "b"),
        ("${unset:-$a}", "A"), ("${unset:-${a:+nested}}", "nested"), ("${unset:-x y}", "x y"),
        ("${a:?must}", "A"),
        ("'$a'", "$a"), ("\"$a\"", "A"), ("\"'$a'\"", "'A'"), ("'\"$a\"'", "\"$a\""),
        ("\\$a", "$a"), ("\"\\$a\"", "$a"), ("\"a\\b\"", "a\\b"), ("\"\\\"\"", "\""), ("a\\ b", "a b"), ("\\\\", "\\"),
        ("trailing\\", "trailing"),
        ("${path##*/}", "tool.tar.gz"), ("${path#*/}", "usr/local/bin/tool.tar.gz"),
        ("${path%.*}", "/usr/local/bin/tool.tar"), ("${path%%.*}", "/usr/local/bin/tool"),
        ("${path/local/opt}", "/usr/opt/bin/tool.tar.gz"), ("${path//o/0}", "/usr/l0cal/bin/t00l.tar.gz"),
        ("${path#nomatch}", "/usr/local/bin/tool.tar.gz"),
        ("$1", ""), ("$@", ""),
    ]

    @Test(arguments: words)
    func expandsLikeDocker(_ input: String, _ expected: String) throws {
        #expect(try expander.expand(input) == expected)
    }

    @Test func wordsSplitOnUnquotedSpaceIncludingValues() throws {
        #expect(try expander.expandWords("80/tcp $a \"q r\" $spaced '$a b'") == ["80/tcp", "A", "q r", "x", "y", "$a b"])
        #expect(try expander.expandWords("\"$spaced\"") == ["x  y"])
        #expect(try expander.expandWords("   ") == [])
    }

    @Test func backtickEscape() throws {
        let windows = VariableExpander(variables: ["a": "A"], escape: "`")
        #expect(try windows.expand("c:\\dir\\$a") == "c:\\dir\\A")
        #expect(try windows.expand("`$a") == "$a")
    }

    static let failures: [(String, String)] = [
        ("${unset:?}", "unset: is not allowed to be unset"),
        ("${empty:?}", "empty: is not allowed to be empty"),
        ("${unset?set it}", "unset: set it"),
        ("${unset:?you must set unset}", "unset: you must set unset"),
        ("${a", "missing '}'"),
        ("${}", "bad substitution"),
        ("${:a}", "bad substitution"),
        ("'open", "matching single-quote"),
        ("\"open", "matching double-quote"),
        ("${a:=b}", "unsupported modifier (:=)"),
        ("${a^}", "unsupported modifier (^)"),
    ]

    @Test(arguments: failures)
    func errors(_ input: String, _ fragment: String) {
        do {
            let value = try expander.expand(input)
            Issue.record("expanded to \(value)")
        } catch {
            #expect(error.message.contains(fragment), "\(error.message)")
            #expect(error.message.contains("failed to process"))
        }
    }

    @Test func deepNestingIsRefusedNotOverflowed() throws {
        let deep = String(repeating: "${x:-", count: 10_000) + String(repeating: "}", count: 10_000)
        #expect(throws: DockerfileError.self) { try expander.expand(deep) }
        let ok = String(repeating: "${x:-", count: 10) + "v" + String(repeating: "}", count: 10)
        #expect(try expander.expand(ok) == "v")
    }

    /// Patterns over a long value (256 Ki characters): a search that restarted at every position
    /// and ran to the end would take ~10¹⁰ steps here; the results must be exact.
    @Test func patternsOnALongValueAreExact() throws {
        let n = 128 * 1024
        let plain = String(repeating: "ab", count: n)
        let tailed = plain + "c"
        let x = VariableExpander(variables: ["v": plain, "t": tailed])
        #expect(try x.expand("${v//a*c/x}") == plain, "no c: nothing matches, nothing replaced")
        #expect(try x.expand("${t//a*c/x}") == "x", "the longest match from the first a takes it all")
        #expect(try x.expand("${v//b/x}") == String(repeating: "ax", count: n))
        #expect(try x.expand("${v/b*/y}") == "ay")
        #expect(try x.expand("${v//?b/z}") == String(repeating: "z", count: n))
        #expect(try x.expand("${t##*b}") == "c")
        #expect(try x.expand("${t#*b}") == String(tailed.dropFirst(2)))
        #expect(try x.expand("${t%%b*}") == "a")
        #expect(try x.expand("${t%b*}") == String(plain.dropLast()))
        #expect(try x.expand("${v//*c/q}") == plain)
    }
}
