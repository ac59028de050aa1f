import Testing
@testable import BerthDockerfile

@Suite struct HeredocTests {
    @Test func runHeredocScript() throws {
        let file = try Dockerfile.parse("""
        FROM alpine
        RUN <<EOF
        set -e
        echo "$HOME"
        EOF
        RUN echo after
        """)
        let instructions = file.stages[0].instructions
        #expect(instructions.count == 2)
        #expect(instructions[0].command == .run(RunCommand(form: .shell("<<EOF"), heredocs: [
            Heredoc(name: "EOF", content: "set -e\necho \"$HOME\"\n", expand: true, chomp: false),
        ])))
        #expect(instructions[0].original == "RUN <<EOF\nset -e\necho \"$HOME\"\nEOF")
        #expect(instructions[1].location.line == 6)
    }

    @Test func quotedDelimitersChompAndSeveralOnOneLine() throws {
        let file = try Dockerfile.parse("FROM alpine\nRUN <<-\"A\" 3<<'B' python3 - <<C\n\t\tindented $x\n\tA\nraw $y\nB\n# not a comment here\nC\n")
        guard case .run(let run) = file.stages[0].instructions[0].command else { Issue.record("not RUN"); return }
        #expect(run.form == .shell("<<-\"A\" 3<<'B' python3 - <<C"))
        #expect(run.heredocs == [
            Heredoc(name: "A", content: "indented $x\n", expand: false, chomp: true),
            Heredoc(name: "B", content: "raw $y\n", expand: false, chomp: false),
            Heredoc(name: "C", content: "# not a comment here\n", expand: true, chomp: false),
        ])
    }

    @Test func escapedDelimiterStillExpandsAsInBuildKit() throws {
        let file = try Dockerfile.parse("FROM alpine\nRUN cat <<\\EOF\n$x\nEOF")
        guard case .run(let run) = file.stages[0].instructions[0].command else { Issue.record("not RUN"); return }
        #expect(run.heredocs == [Heredoc(name: "EOF", content: "$x\n", expand: true, chomp: false)])
    }

    @Test func copyHeredocToDestination() throws {
        let file = try Dockerfile.parse("""
        FROM alpine
        COPY --chmod=0755 <<EOF /usr/local/bin/hello
        #!/bin/sh
        echo hello
        EOF
        COPY a <<one <<two /dir/
        1
        one
        2
        two
        """)
        let cmds = file.stages[0].instructions.map(\.command)
        #expect(cmds == [
            .copy(CopyCommand(sources: [], destination: "/usr/local/bin/hello", chmod: "0755", heredocs: [
                Heredoc(name: "EOF", content: "#!/bin/sh\necho hello\n", expand: true, chomp: false),
            ])),
            .copy(CopyCommand(sources: ["a"], destination: "/dir/", heredocs: [
                Heredoc(name: "one", content: "1\n", expand: true, chomp: false),
                Heredoc(name: "two", content: "2\n", expand: true, chomp: false),
            ])),
        ])
    }

    @Test func notHeredocs() throws {
        // Quoted markers, here-strings, exec form and other instructions are left alone.
        let cmds = try Dockerfile.parse("""
        FROM alpine
        RUN echo "<<EOF"
        RUN cat <<<word
        RUN ["cat", "<<EOF"]
        CMD cat <<EOF
        """).stages[0].instructions.map(\.command)
        #expect(cmds == [
            .run(RunCommand(form: .shell("echo \"<<EOF\""))),
            .run(RunCommand(form: .shell("cat <<<word"))),
            .run(RunCommand(form: .exec(["cat", "<<EOF"]))),
            .cmd(.shell("cat <<EOF")),
        ])
    }

    @Test func emptyHeredocAndHeredocAfterContinuation() throws {
        let file = try Dockerfile.parse("FROM alpine\nRUN --network=none \\\n  cat <<END\nEND\nRUN true")
        guard case .run(let run) = file.stages[0].instructions[0].command else { Issue.record("not RUN"); return }
        #expect(run.network == "none")
        #expect(run.heredocs == [Heredoc(name: "END", content: "", expand: true, chomp: false)])
        #expect(file.stages[0].instructions[1].location.line == 5)
    }
}
