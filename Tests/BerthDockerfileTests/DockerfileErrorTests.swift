import Testing
@testable import BerthDockerfile

@Suite struct DockerfileErrorTests {
    struct Case: Sendable, CustomStringConvertible {
        var text: String
        var line: Int
        var instruction: String?
        var fragment: String
        var description: String { fragment }
    }

    static let cases: [Case] = [
        Case(text: "FROM alpine\nCOPPY a b", line: 2, instruction: nil, fragment: "unknown instruction: COPPY (did you mean COPY?)"),
        Case(text: "FROM alpine\nfrobnicate x", line: 2, instruction: nil, fragment: "unknown instruction: frobnicate. Instructions are ADD"),
        Case(text: "# c\nRUN echo\nFROM alpine", line: 2, instruction: "RUN", fragment: "instruction before the first FROM"),
        Case(text: "", line: 1, instruction: nil, fragment: "the file has no instructions"),
        Case(text: "# only a comment\n\n", line: 3, instruction: nil, fragment: "the file has no instructions"),
        Case(text: "ARG A=1", line: 1, instruction: nil, fragment: "no FROM instruction"),
        Case(text: "FROM alpine\n\nCOPY onlyone", line: 3, instruction: "COPY", fragment: "COPY requires at least two arguments"),
        Case(text: "FROM alpine\nRUN", line: 2, instruction: "RUN", fragment: "RUN requires at least one argument"),
        Case(text: "FROM alpine\nENV", line: 2, instruction: "ENV", fragment: "ENV requires at least one argument"),
        Case(text: "FROM alpine\nENV onlykey", line: 2, instruction: "ENV", fragment: "ENV must have two arguments"),
        Case(text: "FROM alpine\nLABEL a=b c", line: 2, instruction: "LABEL", fragment: "can't find = in \"c\""),
        Case(text: "FROM alpine\nENV =x", line: 2, instruction: "ENV", fragment: "ENV names can not be blank"),
        Case(text: "FROM alpine\nCOPY --chwon=1 a b", line: 2, instruction: "COPY", fragment: "unknown flag: --chwon. Accepted flags: --chmod, --chown, --from, --link"),
        Case(text: "FROM alpine\nADD --from=x a b", line: 2, instruction: "ADD", fragment: "unknown flag: --from"),
        Case(text: "FROM alpine\nCOPY --from a b", line: 2, instruction: "COPY", fragment: "missing a value on flag: --from"),
        Case(text: "FROM alpine\nCOPY --link=maybe a b", line: 2, instruction: "COPY", fragment: "expecting boolean value for flag --link"),
        Case(text: "FROM alpine\nCOPY --from=a --from=b x y", line: 2, instruction: "COPY", fragment: "duplicate flag specified: --from"),
        Case(text: "FROM alpine\nCOPY --parents a/b /c", line: 2, instruction: "COPY", fragment: "--parents is not supported by Berth"),
        Case(text: "FROM alpine\nENV --x=1 a=b", line: 2, instruction: "ENV", fragment: "unknown flag: --x. This instruction takes no flags"),
        Case(text: "FROM alpine\nRUN --network=bridge true", line: 2, instruction: "RUN", fragment: "unsupported network mode \"bridge\""),
        Case(text: "FROM alpine\nRUN --security=insecure true", line: 2, instruction: "RUN", fragment: "security.insecure entitlement"),
        Case(text: "FROM alpine\nRUN --mount=type=nfs,target=/x true", line: 2, instruction: "RUN", fragment: "unsupported mount type \"nfs\""),
        Case(text: "FROM alpine\nRUN --mount=type=cache true", line: 2, instruction: "RUN", fragment: "type=cache needs a target"),
        Case(text: "FROM alpine\nRUN --mount=type=cache,target=/x,color=red true", line: 2, instruction: "RUN", fragment: "unexpected key 'color'"),
        Case(text: "FROM alpine\nRUN --mount=type=cache,target=/x,sharing=all true", line: 2, instruction: "RUN", fragment: "unsupported sharing value"),
        Case(text: "FROM alpine\nRUN --mount=type=secret true", line: 2, instruction: "RUN", fragment: "a secret mount needs an id or a target"),
        Case(text: "FROM a b", line: 1, instruction: "FROM", fragment: "FROM requires either one or three arguments"),
        Case(text: "FROM a AS 1x", line: 1, instruction: "FROM", fragment: "invalid name for build stage"),
        Case(text: "FROM a AS x\nFROM b AS X", line: 2, instruction: "FROM", fragment: "duplicate stage name \"x\""),
        Case(text: "FROM alpine\nFROM --plat=x alpine", line: 2, instruction: "FROM", fragment: "unknown flag: --plat"),
        Case(text: "FROM alpine\nONBUILD ONBUILD RUN x", line: 2, instruction: "ONBUILD", fragment: "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"),
        Case(text: "FROM alpine\nONBUILD FROM x", line: 2, instruction: "ONBUILD", fragment: "FROM isn't allowed as an ONBUILD trigger"),
        Case(text: "FROM alpine\nONBUILD MAINTAINER me", line: 2, instruction: "ONBUILD", fragment: "MAINTAINER isn't allowed as an ONBUILD trigger"),
        Case(text: "FROM alpine\nONBUILD", line: 2, instruction: "ONBUILD", fragment: "ONBUILD requires at least one argument"),
        Case(text: "FROM alpine\nSHELL /bin/sh -c", line: 2, instruction: "SHELL", fragment: "SHELL requires the arguments to be in JSON form"),
        Case(text: "FROM alpine\nSTOPSIGNAL A B", line: 2, instruction: "STOPSIGNAL", fragment: "STOPSIGNAL requires exactly one argument"),
        Case(text: "FROM alpine\nEXPOSE", line: 2, instruction: "EXPOSE", fragment: "EXPOSE requires at least one argument"),
        Case(text: "FROM alpine\nVOLUME [\"\"]", line: 2, instruction: "VOLUME", fragment: "VOLUME specified can not be an empty string"),
        Case(text: "FROM alpine\nHEALTHCHECK NONE x", line: 2, instruction: "HEALTHCHECK", fragment: "HEALTHCHECK NONE takes no arguments"),
        Case(text: "FROM alpine\nHEALTHCHECK --interval=5s NONE", line: 2, instruction: "HEALTHCHECK", fragment: "options cannot be used with HEALTHCHECK NONE"),
        Case(text: "FROM alpine\nHEALTHCHECK RUN x", line: 2, instruction: "HEALTHCHECK", fragment: "Unknown type \"RUN\" in HEALTHCHECK (try CMD)"),
        Case(text: "FROM alpine\nHEALTHCHECK --interval=1us CMD x", line: 2, instruction: "HEALTHCHECK", fragment: "--interval cannot be less than 1ms"),
        Case(text: "FROM alpine\nHEALTHCHECK --timeout=soon CMD x", line: 2, instruction: "HEALTHCHECK", fragment: "invalid duration \"soon\" for --timeout"),
        Case(text: "FROM alpine\nHEALTHCHECK --retries=0 CMD x", line: 2, instruction: "HEALTHCHECK", fragment: "--retries must be at least 1 (not 0)"),
        Case(text: "FROM alpine\nHEALTHCHECK --start-period=1s CMD", line: 2, instruction: "HEALTHCHECK", fragment: "HEALTHCHECK CMD requires a command"),
        Case(text: "FROM alpine\nRUN <<EOF\necho hi\n", line: 2, instruction: "RUN", fragment: "unterminated heredoc EOF"),
        Case(text: "FROM alpine\nCOPY a <<EOF\nx\nEOF", line: 2, instruction: "COPY", fragment: "COPY cannot accept a heredoc as destination"),
        Case(text: "FROM alpine\nUSER", line: 2, instruction: "USER", fragment: "USER requires at least one argument"),
    ]

    @Test(arguments: cases)
    func errorsNameFileLineAndInstruction(_ c: Case) {
        do {
            let parsed = try Dockerfile.parse(c.text, file: "ctx/Dockerfile.dev")
            Issue.record("parsed without error: \(parsed)")
        } catch {
            #expect(error.location == SourceLocation(file: "ctx/Dockerfile.dev", line: c.line))
            #expect(error.instruction == c.instruction)
            #expect(error.message.contains(c.fragment), "\(error.message)")
            let prefix = "ctx/Dockerfile.dev:\(c.line): " + (c.instruction.map { "\($0): " } ?? "")
            #expect(error.description == prefix + error.message)
        }
    }

    @Test func descriptionReadsLikeDockers() {
        let error = DockerfileError(location: SourceLocation(file: "Dockerfile", line: 12), instruction: "COPY", message: "no source files were specified")
        #expect(error.description == "Dockerfile:12: COPY: no source files were specified")
        #expect(DockerfileError(message: "x").description == "x")
    }
}
