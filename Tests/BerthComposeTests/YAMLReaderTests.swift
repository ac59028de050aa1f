import Foundation
import Testing
@testable import BerthCompose

/// The YAML layer: what libyaml's events become, and the bounds hostile documents meet.
@Suite struct YAMLReaderTests {
    func read(_ text: String, limits: YAMLLimits = YAMLLimits()) throws -> YAMLNode? {
        try YAMLReader.read(Data(text.utf8), file: "f.yaml", limits: limits)
    }

    @Test func plainScalarsAreTypedQuotedOnesAreStrings() throws {
        let node = try read("[1, -2, 0x1F, 1.5, 1e3, .inf, true, False, ~, null, '', yes, \"3\", '1.5', 1.2.3, 08, +7, !!str 9]")
        guard case .sequence(let items)? = node else { Issue.record("not a sequence"); return }
        let kinds = items.map { item -> YAMLScalar.Kind? in if case .scalar(let s) = item { return s.kind }; return nil }
        #expect(kinds == [.int, .int, .int, .float, .float, .float, .bool, .bool, .null, .null, .string, .string, .string, .string, .string, .int, .int, .string])
    }

    /// Tags other than the core ones are refused at their line, `!reset`/`!override` by name.
    @Test func unknownTagsAreRefusedAtTheirLine() throws {
        #expect(throws: ComposeError.yaml(file: "f.yaml", line: 3, column: 12, problem: "the !reset tag is not supported by berth compose yet: remove the key from the file that sets it instead of resetting it in a later file")) {
            try read("services:\n  web:\n    ports: !reset []\n")
        }
        let override = #expect(throws: ComposeError.self) { try read("services:\n  web: !override\n    image: x\n") }
        #expect("\(override.map { "\($0)" } ?? "")".contains("!override tag is not supported by berth compose yet: give the whole value in one file"))
        let custom = #expect(throws: ComposeError.self) { try read("a: 1\nb: !custom x\n") }
        #expect("\(custom.map { "\($0)" } ?? "")".hasPrefix("yaml: f.yaml: line 2,"))
        #expect("\(custom.map { "\($0)" } ?? "")".contains("the YAML tag !custom is not supported"))
        #expect(throws: ComposeError.self) { try read("a: !!seq {x: 1}\n") }
        let core = try read("a: !!int 5\nb: !!str 5\nc: !!map {x: !!null ~}\nd: !!seq [! 1, !!bool true, !!float 1.5]\n")
        guard case .mapping(let m)? = core else { Issue.record("not a mapping"); return }
        #expect(m["a"] == .scalar(YAMLScalar("5", .int)))
        #expect(m["b"] == .scalar(YAMLScalar("5", .string)))
        #expect(m["d"] == .sequence([.scalar(YAMLScalar("1", .string)), .scalar(YAMLScalar("true", .bool)), .scalar(YAMLScalar("1.5", .float))]))
    }

    /// Integers as compose reads them (YAML 1.1): `tmpfs.mode: 01777` is 1023.
    @Test func integersInCompose11Forms() throws {
        let cases: [(String, Int?)] = [("01777", 1023), ("0o1777", 1023), ("0x1F", 31), ("0b101", 5), ("1_000", 1000), ("-0x10", -16), ("+7", 7), ("0", 0), ("42", 42), ("08", nil), ("0x", nil), ("--1", nil), ("1.5", nil), ("", nil)]
        for (text, value) in cases { #expect(NodeReader.integer(text) == value, "\(text)") }
        let p = try ProjectDir(["compose.yaml": "services:\n  web:\n    image: x\n    volumes: [{type: tmpfs, target: /t, tmpfs: {mode: 01777}}]\n"]).load()
        #expect(p.services["web"]?.volumes?.first?.tmpfsMode == 1023)
        // A string (quoted, or made by interpolation) is read in base 10, as compose-go does.
        let quoted = try ProjectDir(["compose.yaml": "services:\n  web:\n    image: x\n    volumes: [{type: tmpfs, target: /t, tmpfs: {mode: \"${MODE}\"}}]\n    ports: [{target: \"080\"}]\n",
                                     ".env": "MODE=01777\n"]).load()
        #expect(quoted.services["web"]?.volumes?.first?.tmpfsMode == 1777)
        #expect(quoted.services["web"]?.ports?.first?.target == 80)
    }

    @Test func mergeKeysTakeEntriesNotGivenHere() throws {
        let node = try read("""
        a: &a {x: 1, y: 2}
        b: &b {y: 3, z: 4}
        c:
          <<: [*a, *b]
          x: 0
        """)
        guard case .mapping(let m)? = node, case .mapping(let c)? = m["c"] else { Issue.record("no c"); return }
        #expect(c.entries.map(\.key) == ["x", "y", "z"])
        #expect(c["x"] == .scalar(YAMLScalar("0", .int)))
        #expect(c["y"] == .scalar(YAMLScalar("2", .int)))  // the first source wins
    }

    @Test func billionLaughsIsRefusedBeforeExpanding() throws {
        var text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for n in 1...9 { text += "a\(n): &a\(n) [" + Array(repeating: "*a\(n - 1)", count: 10).joined(separator: ", ") + "]\n" }
        #expect(throws: ComposeError.tooComplex(file: "f.yaml", problem: "the document expands to more than 1000000 nodes (aliases that repeat aliases?); refused")) {
            try read(text)
        }
        // The same shape within the budget reads.
        var small = YAMLLimits()
        small.maxNodes = 200
        #expect(throws: ComposeError.self) { try read("a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n", limits: small) }
        #expect(try read("a: &a [x, x]\nb: [*a, *a]\n") != nil)
    }

    @Test func aliasAsAKeyIsRefused() {
        #expect(throws: ComposeError.self) { try read("a: &a [1, 2]\n? *a\n: 1\n") }
        #expect(throws: ComposeError.self) { try read("a: &k key\n*k : 1\n") }
        #expect(throws: ComposeError.self) { try read("? [1, 2]\n: x\n") }
    }

    @Test func deepNestingIsRefused() {
        let deep = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect(throws: ComposeError.tooComplex(file: "f.yaml", problem: "collections nest deeper than 64 levels (line 1); refused")) { try read(deep) }
        let veryDeep = String(repeating: "- ", count: 100_000) + "x"
        #expect(throws: ComposeError.self) { try read(veryDeep) }
    }

    @Test func sizeIsCapped() {
        var limits = YAMLLimits()
        limits.maxBytes = 1000
        #expect(throws: ComposeError.tooLarge(file: "f.yaml", bytes: 1001, limit: 1000)) { try read(String(repeating: "#", count: 1001), limits: limits) }
    }

    @Test func refusesInvalidUTF8AndSeveralDocumentsAndUnknownAnchors() {
        #expect(throws: ComposeError.yaml(file: "f.yaml", line: 1, column: 1, problem: "the file is not valid UTF-8")) {
            try YAMLReader.read(Data([0x61, 0x3a, 0x20, 0xff, 0xfe]), file: "f.yaml")
        }
        #expect(throws: ComposeError.self) { try read("a: 1\n---\nb: 2\n") }
        #expect(throws: ComposeError.self) { try read("a: *nowhere\n") }
    }

    @Test func writerOutputReadsBackToTheSameStrings() throws {
        let strings = ["plain", "8080", "1.5", "true", "yes", "null", "", " padded ", "- dash", "a: b", "a #b", "x:", "*star", "&amp",
                       "{brace", "[bracket", "'quote", "\"dq", "line\nbreak", "tab\there", "\u{1}ctl", "é ü", "%pct", "@at", "`tick", "<<", "~"]
        let printed = YAMLWriter.write(.map([("items", .list(strings.map(OutputNode.string)))]))
        guard case .mapping(let m)? = try read(printed), case .sequence(let items)? = m["items"] else { Issue.record("\(printed)"); return }
        #expect(items == strings.map { .scalar(YAMLScalar($0, .string)) }, "\(printed)")
    }
}
