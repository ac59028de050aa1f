import Testing
@testable import BerthDockerfile

@Suite struct DockerIgnoreTests {
    @Test func fileFormCleansAndSkipsComments() {
        let ignore = DockerIgnore("""
        \u{FEFF}# comment
          node_modules  
        /build/
        ./dist/../out
        !  keep.txt

        *.log
        """)
        #expect(ignore.patterns == ["node_modules", "build", "out", "!keep.txt", "*.log"])
    }

    /// (.dockerignore lines, path, excluded) cases in the spirit of patternmatcher's own table.
    static let cases: [([String], String, Bool)] = [
        (["fileutils.go"], "fileutils.go", true),
        (["*.go"], "fileutils.go", true),
        (["*.go"], "dir/fileutils.go", false),            // * stops at /
        (["**/*.go"], "dir/sub/fileutils.go", true),
        (["**/*.go"], "fileutils.go", true),
        (["**"], "anything/at/all", true),
        (["dir/**"], "dir/a/b", true),
        (["dir/**"], "dir", false),
        (["dir"], "dir/a/b", true),                       // a parent directory matches
        (["dir/*"], "dir/a/b", true),
        (["a?c"], "abc", true),
        (["a?c"], "a/c", false),                          // ? is not /
        (["[a-c]x"], "bx", true),
        (["[^a-c]x"], "dx", true),
        (["[^a-c]x"], "bx", false),
        (["a\\*b"], "a*b", true),
        (["a\\*b"], "axb", false),
        (["**foo"], "barfoo", true),                      // a leading ** is a suffix match
        (["**/foo"], "foo", true),
        (["**/foo"], "x/y/foo", true),
        (["**/foo"], "x/yfoo", false),
        (["foo**"], "foobar", true),
        (["a/**/b"], "a/b", true),
        (["a/**/b"], "a/x/y/b", true),
        (["a/**/b"], "a/x/yb", false),
        (["docs", "!docs/README.md"], "docs/README.md", false),
        (["docs", "!docs/README.md"], "docs/other.md", true),
        (["*.md", "!README.md", "README.md"], "README.md", true),  // later lines win
        (["!README.md", "*.md"], "README.md", true),
        (["/abs"], "abs", true),
        (["a/../b"], "b", true),
        (["."], "x", false),
        (["x"], ".", false),                               // the root is never excluded
        (["file.txt"], "./file.txt", true),                // paths are cleaned too
        (["a.b"], "axb", false),                           // . is literal
        (["(x)"], "(x)", true),
    ]

    @Test(arguments: cases)
    func matchesLikePatternmatcher(_ patterns: [String], _ path: String, _ excluded: Bool) {
        #expect(DockerIgnore(patterns.joined(separator: "\n")).isExcluded(path) == excluded)
    }

    @Test func patternListIsTakenAsIs() {
        // patternmatcher.New does not drop a leading "/" (only the .dockerignore reader does).
        #expect(!DockerIgnore(patterns: ["/abs"]).isExcluded("abs"))
        #expect(DockerIgnore(patterns: [" abs "]).isExcluded("abs"))
    }

    @Test func invalidPatternsAreReported() {
        let ignore = DockerIgnore(patterns: ["[abc", "!", "ok"])
        #expect(ignore.invalidPatterns == ["[abc", "!"])
        #expect(ignore.isExcluded("ok"))
    }

    @Test func mayReincludeOnlyWhereAnExceptionCouldReach() {
        let ignore = DockerIgnore("docs\n!docs/keep/*.md\nvendor\n")
        #expect(ignore.isExcluded("docs"))
        #expect(ignore.mayReinclude(under: "docs"))
        #expect(ignore.mayReinclude(under: "docs/keep"))
        #expect(!ignore.mayReinclude(under: "vendor"))
        #expect(!ignore.mayReinclude(under: "docs/other"))
        #expect(DockerIgnore("*\n!**/*.go").mayReinclude(under: "anything"))
        #expect(!DockerIgnore("*").mayReinclude(under: "anything"))
    }

    @Test func hugePathsAndPatternsStayCheap() {
        let path = String(repeating: "a/", count: 2_000) + "b"
        let ignore = DockerIgnore(patterns: [String(repeating: "*/", count: 50) + "**/*b*"])
        #expect(ignore.isExcluded(path))
    }
}
