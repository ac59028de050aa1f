extension Dockerfile {
    /// Parses a Dockerfile as BuildKit's frontend does. Never crashes or loops on arbitrary input;
    /// the first problem is thrown with the file, line and instruction.
    public static func parse(_ text: String, file: String = "Dockerfile") throws(DockerfileError) -> Dockerfile {
        var reader = LineReader(text)
        var globalArgs: [ArgDeclaration] = []
        var stages: [Stage] = []
        var sawInstruction = false
        var warnings: [String] = []
        while true {
            let logical: LineReader.LogicalLine?
            do { logical = try reader.nextLogicalLine() } catch {
                throw error.located(at: SourceLocation(file: file, line: reader.lastLine), instruction: nil)
            }
            guard let logical else { break }
            sawInstruction = true
            let location = SourceLocation(file: file, line: logical.line)
            func warn(_ keyword: String, _ message: String) {
                warnings.append(DockerfileError(location: location, instruction: keyword, message: message).description)
            }
            var parser = InstructionParser(escape: reader.escape, location: location)
            let parsed: InstructionParser.Parsed
            do { parsed = try parser.parse(logical.text, reader: &reader) } catch {
                throw error.located(at: location, instruction: parser.keyword)
            }
            if logical.hadEmptyContinuationLine {
                warn(parser.keyword ?? "", "empty continuation line found. Remove the blank line; BuildKit will refuse it in a future release")
            }
            if case .instruction(let instruction) = parsed {
                switch instruction.command {
                case .maintainer:
                    warn("MAINTAINER", "MAINTAINER is deprecated. Use LABEL org.opencontainers.image.authors=\"...\" instead")
                case .env(let pairs) where parser.usedLegacyKeyValue:
                    warn("ENV", "\"ENV key=value\" should be used instead of legacy \"ENV key value\" format (\(pairs.first?.key ?? ""))")
                case .label where parser.usedLegacyKeyValue:
                    warn("LABEL", "\"LABEL key=value\" should be used instead of legacy \"LABEL key value\" format")
                default: break
                }
            }
            switch parsed {
            case .from(let base, let name, let platform):
                if let name, stages.contains(where: { $0.name == name }) {
                    throw DockerfileError(location: location, instruction: "FROM",
                                          message: "duplicate stage name \"\(name)\". Give each stage its own name")
                }
                stages.append(Stage(index: stages.count, name: name, base: base, platform: platform, location: location, instructions: []))
            case .instruction(let instruction):
                if stages.isEmpty {
                    guard case .arg(let args) = instruction.command else {
                        throw DockerfileError(location: location, instruction: instruction.command.keyword,
                                              message: "instruction before the first FROM. A Dockerfile must start with FROM; only ARG may come before it")
                    }
                    globalArgs += args
                } else {
                    stages[stages.count - 1].instructions.append(instruction)
                }
            }
        }
        guard sawInstruction else {
            throw DockerfileError(location: SourceLocation(file: file, line: max(reader.lastLine, 1)),
                                  message: "the file has no instructions. A Dockerfile needs at least a FROM line, e.g. `FROM debian:bookworm`")
        }
        guard !stages.isEmpty else {
            throw DockerfileError(location: SourceLocation(file: file, line: max(reader.lastLine, 1)),
                                  message: "no FROM instruction. Add `FROM <image>` after the ARGs")
        }
        return Dockerfile(globalArgs: globalArgs, stages: stages, escape: Character(reader.escape), warnings: warnings)
    }
}

extension Instruction {
    /// One ONBUILD trigger as an image's config stores it (`"RUN make"`, heredoc bodies on the lines
    /// after it), parsed as the line after `ONBUILD` would be: FROM, MAINTAINER and ONBUILD are refused.
    public static func parseTrigger(_ text: String, location: SourceLocation, escape: Character = "\\") throws(DockerfileError) -> Instruction {
        var parser = InstructionParser(escape: escape.unicodeScalars.first ?? "\\", location: location)
        var reader = LineReader(text)
        do throws(DockerfileError) {
            guard let line = try reader.nextLogicalLine() else {
                throw DockerfileError(message: "ONBUILD requires at least one argument")
            }
            guard case .instruction(let instruction) = try parser.parse("ONBUILD " + line.text, reader: &reader),
                  case .onbuild(let trigger) = instruction.command else {
                throw DockerfileError(message: "\"\(text)\" is not an ONBUILD trigger")
            }
            return trigger
        } catch {
            throw error.located(at: location, instruction: "ONBUILD")
        }
    }
}
