import Testing
@testable import BerthDockerfile

/// Parses `text` and returns the only stage's instructions' commands.
private func commands(_ text: String) throws -> [Command] {
    try Dockerfile.parse(text).stages.flatMap { $0.instructions.map(\.command) }
}

private func parseError(_ text: String, file: String = "Dockerfile") -> DockerfileError? {
    do {
        _ = try Dockerfile.parse(text, file: file)
        return nil
    } catch {
        return error
    }
}

@Suite struct DockerfileParseTests {
    @Test func stagesGlobalArgsAndNames() throws {
        let file = try Dockerfile.parse("""
        ARG BASE=debian:bookworm
        ARG VERSION
        FROM --platform=$BUILDPLATFORM golang:1.22 AS Build
        RUN go build
        from ${BASE} as final
        COPY --from=build /out /usr/local/bin/app
        FROM scratch
        """)
        #expect(file.globalArgs == [ArgDeclaration(name: "BASE", defaultValue: "debian:bookworm"), ArgDeclaration(name: "VERSION")])
        #expect(file.stages.count == 3)
        #expect(file.stages[0].name == "build")
        #expect(file.stages[0].platform == "$BUILDPLATFORM")
        #expect(file.stages[0].base == "golang:1.22")
        #expect(file.stages[0].location.line == 3)
        #expect(file.stages[1].base == "${BASE}")
        #expect(file.stages[1].name == "final")
        #expect(file.stages[2].name == nil)
        #expect(file.stages[2].index == 2)
        #expect(file.stage(named: "BUILD")?.index == 0)
        #expect(file.stage(named: "2")?.base == "scratch")
        #expect(file.stage(named: "3") == nil)
        #expect(file.stage(named: "nope") == nil)
        guard case .copy(let copy) = file.stages[1].instructions[0].command else { Issue.record("not a COPY"); return }
        #expect(copy.from == "build")
        #expect(copy.sources == ["/out"])
        #expect(copy.destination == "/usr/local/bin/app")
    }

    @Test func continuationsCommentsAndBlankLinesInside() throws {
        let file = try Dockerfile.parse("""
        FROM debian
        # a comment

        RUN apt-get update && \\
            # a comment inside the continuation
            apt-get install -y \\

                curl \\
              git
        """)
        let run = file.stages[0].instructions[0]
        #expect(run.location.line == 4)
        #expect(run.command == .run(RunCommand(form: .shell("apt-get update &&     apt-get install -y         curl       git"))))
        #expect(run.original == "RUN apt-get update &&     apt-get install -y         curl       git")
    }

    @Test func warningsLikeBuildKits() throws {
        let file = try Dockerfile.parse("FROM alpine\nMAINTAINER me\nENV a b\nENV c=d\nRUN a \\\n\n  b\nLABEL x y")
        #expect(file.warnings == [
            "Dockerfile:2: MAINTAINER: MAINTAINER is deprecated. Use LABEL org.opencontainers.image.authors=\"...\" instead",
            "Dockerfile:3: ENV: \"ENV key=value\" should be used instead of legacy \"ENV key value\" format (a)",
            "Dockerfile:5: RUN: empty continuation line found. Remove the blank line; BuildKit will refuse it in a future release",
            "Dockerfile:8: LABEL: \"LABEL key=value\" should be used instead of legacy \"LABEL key value\" format",
        ])
        #expect(try Dockerfile.parse("FROM a\nRUN x").warnings.isEmpty)
    }

    @Test func keywordsAreCaseInsensitive() throws {
        let cmds = try commands("from alpine\nrUn echo hi\nWorkDir /app\ncmd [\"sh\"]")
        #expect(cmds == [.run(RunCommand(form: .shell("echo hi"))), .workdir("/app"), .cmd(.exec(["sh"]))])
    }

    @Test func execFormAndInvalidJSONFallsBackToShell() throws {
        let cmds = try commands("""
        FROM alpine
        CMD ["nginx", "-g", "daemon off;"]
        ENTRYPOINT [ "/docker-entrypoint.sh" ]
        CMD [not json]
        RUN ["echo", 1]
        ENTRYPOINT exec nginx
        RUN ["a"] trailing
        """)
        #expect(cmds == [
            .cmd(.exec(["nginx", "-g", "daemon off;"])),
            .entrypoint(.exec(["/docker-entrypoint.sh"])),
            .cmd(.shell("[not json]")),
            .run(RunCommand(form: .shell("[\"echo\", 1]"))),
            .entrypoint(.shell("exec nginx")),
            .run(RunCommand(form: .shell("[\"a\"] trailing"))),
        ])
    }

    @Test func envForms() throws {
        let cmds = try commands("""
        FROM alpine
        ENV a=b c="d e" f=g\\ h
        ENV LEGACY value with  spaces
        ENV empty= x='single $quoted'
        """)
        #expect(cmds == [
            .env([KeyValue(key: "a", value: "b"), KeyValue(key: "c", value: "\"d e\""), KeyValue(key: "f", value: "g\\ h")]),
            .env([KeyValue(key: "LEGACY", value: "value with  spaces")]),
            .env([KeyValue(key: "empty", value: ""), KeyValue(key: "x", value: "'single $quoted'")]),
        ])
        // The values expand as Docker's builder expands them.
        let expander = VariableExpander(variables: [:])
        #expect(try expander.expand("\"d e\"") == "d e")
        #expect(try expander.expand("g\\ h") == "g h")
        #expect(try expander.expand("'single $quoted'") == "single $quoted")
    }

    @Test func labelAndArg() throws {
        let cmds = try commands("""
        FROM alpine
        LABEL org.opencontainers.image.title="My app" version=1.0 "quoted.key"=v
        ARG A B=2 C="three four"
        """)
        #expect(cmds == [
            .label([KeyValue(key: "org.opencontainers.image.title", value: "\"My app\""),
                    KeyValue(key: "version", value: "1.0"), KeyValue(key: "\"quoted.key\"", value: "v")]),
            .arg([ArgDeclaration(name: "A"), ArgDeclaration(name: "B", defaultValue: "2"),
                  ArgDeclaration(name: "C", defaultValue: "\"three four\"")]),
        ])
    }

    @Test func simpleInstructions() throws {
        let cmds = try commands("""
        FROM alpine
        MAINTAINER Jane Doe <jane@example.com>
        STOPSIGNAL SIGQUIT
        SHELL ["/bin/bash", "-o", "pipefail", "-c"]
        EXPOSE 80/tcp 443 $PORT
        VOLUME ["/data", "/logs"]
        VOLUME /a /b
        USER www-data:www-data
        WORKDIR /var/www/html
        """)
        #expect(cmds == [
            .maintainer("Jane Doe <jane@example.com>"),
            .stopsignal("SIGQUIT"),
            .shell(["/bin/bash", "-o", "pipefail", "-c"]),
            .expose(["80/tcp", "443", "$PORT"]),
            .volume(["/data", "/logs"]),
            .volume(["/a", "/b"]),
            .user("www-data:www-data"),
            .workdir("/var/www/html"),
        ])
    }

    @Test func copyAndAddFlags() throws {
        let cmds = try commands("""
        FROM alpine
        COPY --chown=1000:1000 --chmod=0755 --link a b /dest/
        COPY ["with space", "/d e/"]
        ADD --link=false https://example.com/x.tar.gz /tmp/
        COPY --from=0 -- --weird /x
        """)
        #expect(cmds == [
            .copy(CopyCommand(sources: ["a", "b"], destination: "/dest/", chown: "1000:1000", chmod: "0755", link: true)),
            .copy(CopyCommand(sources: ["with space"], destination: "/d e/")),
            .add(CopyCommand(sources: ["https://example.com/x.tar.gz"], destination: "/tmp/", link: false)),
            .copy(CopyCommand(sources: ["--weird"], destination: "/x", from: "0")),
        ])
    }

    @Test func runFlagsAndMounts() throws {
        let cmds = try commands("""
        FROM alpine
        RUN --mount=type=cache,target=/root/.cache,id=pip,sharing=locked --network=none pip install x
        RUN --mount=type=bind,source=.,target=/src,rw --mount=target=/ctx --mount=type=tmpfs,target=/tmp,size=64m make
        RUN --mount=type=secret,id=token --mount=type=secret,target=/run/secrets/npmrc,required=true --mount=type=ssh true
        RUN --mount=type=cache,target=/var/cache/apt,from=base,source=/cache,ro true
        """)
        guard cmds.count == 4,
              case .run(let r1) = cmds[0], case .run(let r2) = cmds[1], case .run(let r3) = cmds[2], case .run(let r4) = cmds[3] else {
            Issue.record("expected four RUNs: \(cmds)"); return
        }
        #expect(r1.form == .shell("pip install x"))
        #expect(r1.network == "none")
        #expect(r1.mounts == [RunMount(kind: .cache, target: "/root/.cache", readOnly: false, id: "pip", sharing: "locked")])
        #expect(r2.mounts == [
            RunMount(kind: .bind, target: "/src", source: ".", readOnly: false),
            RunMount(kind: .bind, target: "/ctx", readOnly: true),
            RunMount(kind: .tmpfs, target: "/tmp", readOnly: false, options: ["size": "64m"]),
        ])
        #expect(r3.mounts == [
            RunMount(kind: .secret, target: "/run/secrets/token", readOnly: true, id: "token"),
            RunMount(kind: .secret, target: "/run/secrets/npmrc", readOnly: true, id: "npmrc", options: ["required": "true"]),
            RunMount(kind: .ssh, target: "/run/buildkit/ssh_agent.2", readOnly: true, id: "default"),
        ])
        #expect(r4.mounts == [RunMount(kind: .cache, target: "/var/cache/apt", source: "/cache", from: "base", readOnly: true, sharing: "shared")])
    }

    /// `required` is a boolean (bare means true, as in BuildKit); a secret given `env=` alone has no file.
    @Test func secretMountOptions() throws {
        let cmds = try commands("""
        FROM alpine
        RUN --mount=type=secret,id=a,required --mount=type=secret,id=b,required=False --mount=type=secret,id=c,env=C,mode=0440,uid=1 true
        """)
        guard case .run(let r) = cmds.first else { Issue.record("expected a RUN: \(cmds)"); return }
        #expect(r.mounts == [
            RunMount(kind: .secret, target: "/run/secrets/a", readOnly: true, id: "a", options: ["required": "true"]),
            RunMount(kind: .secret, target: "/run/secrets/b", readOnly: true, id: "b", options: ["required": "false"]),
            RunMount(kind: .secret, target: "", readOnly: true, id: "c", options: ["env": "C", "mode": "0440", "uid": "1"]),
        ])
        #expect(throws: DockerfileError.self) { try commands("FROM alpine\nRUN --mount=type=secret,id=a,required=maybe true\n") }
    }

    @Test func healthcheck() throws {
        let cmds = try commands("""
        FROM alpine
        HEALTHCHECK --interval=30s --timeout=3s --start-period=1m --start-interval=500ms --retries=3 CMD curl -f http://localhost/ || exit 1
        HEALTHCHECK CMD ["CMD-SHELL", "true"]
        HEALTHCHECK none
        """)
        #expect(cmds == [
            .healthcheck(.check(test: .shell("curl -f http://localhost/ || exit 1"), interval: "30s", timeout: "3s",
                                startPeriod: "1m", startInterval: "500ms", retries: 3)),
            .healthcheck(.check(test: .exec(["CMD-SHELL", "true"]), interval: nil, timeout: nil, startPeriod: nil, startInterval: nil, retries: nil)),
            .healthcheck(.none),
        ])
    }

    @Test func onbuild() throws {
        let file = try Dockerfile.parse("FROM alpine\nONBUILD COPY . /app\nONBUILD RUN make")
        let cmds = file.stages[0].instructions.map(\.command)
        guard case .onbuild(let copy) = cmds[0], case .onbuild(let run) = cmds[1] else { Issue.record("\(cmds)"); return }
        #expect(copy.command == .copy(CopyCommand(sources: ["."], destination: "/app")))
        #expect(copy.original == "COPY . /app")
        #expect(run.command == .run(RunCommand(form: .shell("make"))))
        #expect(run.location.line == 3)
    }

    @Test func triggersFromAnImageConfig() throws {
        let location = SourceLocation(file: "Dockerfile", line: 1)
        let trigger = try Instruction.parseTrigger("COPY . /app", location: location)
        #expect(trigger.command == .copy(CopyCommand(sources: ["."], destination: "/app")))
        #expect(trigger.location == location)
        #expect(throws: DockerfileError.self) { try Instruction.parseTrigger("FROM x", location: location) }
        #expect(throws: DockerfileError.self) { try Instruction.parseTrigger("ONBUILD RUN x", location: location) }
        // A trigger with a heredoc carries its body on the following lines, as the ONBUILD line's text does.
        let file = try Dockerfile.parse("FROM a\nONBUILD RUN cat <<EOF\nhello\nEOF\nRUN true")
        #expect(file.stages[0].instructions.count == 2)
        guard case .onbuild(let stored) = file.stages[0].instructions[0].command else { Issue.record("ONBUILD"); return }
        #expect(file.stages[0].instructions[0].original == "ONBUILD RUN cat <<EOF\nhello\nEOF")
        #expect(stored.original == "RUN cat <<EOF\nhello\nEOF")
        let reparsed = try Instruction.parseTrigger(stored.original, location: location)
        #expect(reparsed.command == .run(RunCommand(form: .shell("cat <<EOF"), heredocs: [Heredoc(name: "EOF", content: "hello\n", expand: true, chomp: false)])))
        #expect(throws: DockerfileError.self) { try Instruction.parseTrigger("RUN cat <<EOF", location: location) }
    }

    @Test func escapeDirectiveWithBacktick() throws {
        let file = try Dockerfile.parse("""
        # escape=`
        # syntax=docker/dockerfile:1

        FROM mcr.microsoft.com/windows/servercore
        COPY testfile.txt c:\\
        RUN dir c:\\ `
            && echo done
        ENV path=c:\\tools
        """)
        #expect(file.escape == "`")
        let cmds = file.stages[0].instructions.map(\.command)
        #expect(cmds == [
            .copy(CopyCommand(sources: ["testfile.txt"], destination: "c:\\")),
            .run(RunCommand(form: .shell("dir c:\\     && echo done"))),
            .env([KeyValue(key: "path", value: "c:\\tools")]),
        ])
    }

    @Test func directivesOnlyAtTheTop() throws {
        // After a comment or an instruction, `# escape=` is just a comment.
        let late = try Dockerfile.parse("# hello\n# escape=`\nFROM alpine\nRUN a \\\n b")
        #expect(late.escape == "\\")
        #expect(late.stages[0].instructions[0].command == .run(RunCommand(form: .shell("a  b"))))
        let spaced = try Dockerfile.parse("#  ESCAPE = `  \nFROM alpine")
        #expect(spaced.escape == "`")
        #expect(parseError("# escape=`\n# escape=\\\nFROM a")?.message.contains("only one escape parser directive") == true)
        #expect(parseError("# escape=x\nFROM a")?.message.contains("invalid escape token") == true)
    }

    @Test func windowsLineEndingsAndBOM() throws {
        let file = try Dockerfile.parse("\u{FEFF}FROM alpine\r\nRUN echo a \\\r\n  b\r\n")
        #expect(file.stages[0].base == "alpine")
        #expect(file.stages[0].instructions[0].command == .run(RunCommand(form: .shell("echo a   b"))))
    }
}
