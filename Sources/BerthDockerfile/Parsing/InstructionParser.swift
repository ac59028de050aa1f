import BerthOCI

/// Turns one logical line into an instruction (or a FROM), reading heredoc bodies from the reader.
struct InstructionParser {
    enum Parsed {
        case from(base: String, name: String?, platform: String?)
        case instruction(Instruction)
    }

    static let keywords = ["ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
                           "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"]

    let escape: Unicode.Scalar
    let location: SourceLocation
    /// The keyword being parsed, for errors (upper-cased once known).
    private(set) var keyword: String?
    /// ENV or LABEL was written in the legacy `key value` form.
    private(set) var usedLegacyKeyValue = false

    init(escape: Unicode.Scalar, location: SourceLocation) {
        self.escape = escape
        self.location = location
    }

    mutating func parse(_ line: String, reader: inout LineReader) throws(DockerfileError) -> Parsed {
        try parse(line, reader: &reader, isTrigger: false)
    }

    private mutating func parse(_ line: String, reader: inout LineReader, isTrigger: Bool) throws(DockerfileError) -> Parsed {
        let trimmed = line.trimmingSpace()
        let scalars = trimmed.unicodeScalars
        let word = scalars.prefix(while: { !isSpace($0) })
        let name = String(String.UnicodeScalarView(word)).uppercased()
        let afterKeyword = String(String.UnicodeScalarView(scalars.dropFirst(word.count).drop(while: isSpace)))
        guard Self.keywords.contains(name) else {
            let shown = String(String.UnicodeScalarView(word.prefix(64))) + (word.count > 64 ? "..." : "")
            throw DockerfileError(instruction: nil, message: "unknown instruction: \(shown)" + Self.suggestion(for: name))
        }
        keyword = name
        let (flagWords, rest) = Words.extractFlags(afterKeyword)
        var original = trimmed

        func noFlags() throws(DockerfileError) { _ = try Flags(flagWords, accepted: [:]) }
        func required(_ text: String) throws(DockerfileError) -> String {
            guard !text.isEmpty else { throw DockerfileError(message: "\(name) requires at least one argument") }
            return text
        }
        func heredocs(in words: [String]) throws(DockerfileError) -> (markers: Set<Int>, docs: [Heredoc]) {
            var markers: Set<Int> = []
            var docs: [Heredoc] = []
            for (index, word) in words.enumerated() {
                guard let marker = HeredocMarker(word, escape: escape) else { continue }
                guard let body = reader.heredocBody(name: marker.name, chomp: marker.chomp) else {
                    throw DockerfileError(message: "unterminated heredoc \(marker.name): no line \"\(marker.name)\" ends it. Add the delimiter on a line of its own")
                }
                original += "\n" + body + marker.name
                markers.insert(index)
                docs.append(Heredoc(name: marker.name, content: body, expand: marker.expand, chomp: marker.chomp))
            }
            return (markers, docs)
        }

        let command: Command
        switch name {
        case "FROM":
            guard !isTrigger else { throw Self.notATrigger(name) }
            let flags = try Flags(flagWords, accepted: ["platform": .string])
            let args = Words.whitespace(rest)
            guard args.count == 1 || (args.count == 3 && args[1].lowercased() == "as") else {
                throw DockerfileError(message: "FROM requires either one or three arguments. Write `FROM image` or `FROM image AS name`")
            }
            var stageName: String?
            if args.count == 3 {
                let lowered = args[2].lowercased()
                guard Self.isValidStageName(lowered) else {
                    throw DockerfileError(message: "invalid name for build stage: \"\(args[2])\", name can't start with a number or contain symbols")
                }
                stageName = lowered
            }
            return .from(base: args[0], name: stageName, platform: flags.strings["platform"])
        case "RUN":
            let flags = try Flags(flagWords, accepted: ["mount": .list, "network": .string, "security": .string])
            let mounts = try (flags.lists["mount"] ?? []).enumerated().map { (i, spec) throws(DockerfileError) in try RunMount(parsing: spec, index: i) }
            if let network = flags.strings["network"], !["default", "none", "host"].contains(network) {
                throw DockerfileError(message: "unsupported network mode \"\(network)\". Use --network=default, none or host")
            }
            switch flags.strings["security"] {
            case nil, "sandbox": break
            case "insecure": throw DockerfileError(message: "--security=insecure needs the security.insecure entitlement, which Berth does not grant. Remove the flag")
            case let other?: throw DockerfileError(message: "unsupported security mode \"\(other)\". Use --security=sandbox or leave it out")
            }
            _ = try required(rest)
            var run = RunCommand(form: .shell(rest), mounts: mounts, network: flags.strings["network"])
            if let exec = Words.jsonArray(rest) {
                run.form = .exec(exec)
            } else {
                run.heredocs = try heredocs(in: Words.quoted(rest, escape: escape)).docs
            }
            command = .run(run)
        case "COPY", "ADD":
            let accepted: [String: Flags.Kind] = name == "COPY"
                ? ["from": .string, "chown": .string, "chmod": .string, "link": .bool]
                : ["chown": .string, "chmod": .string, "link": .bool]
            var unsupported = [
                "exclude": "List the excluded files in .dockerignore instead",
                "parents": "Copy each directory to its full destination path instead",
            ]
            if name == "ADD" {
                unsupported["checksum"] = "Download with RUN and check the digest there"
                unsupported["keep-git-dir"] = "Clone the repository with RUN git clone instead"
                unsupported["unpack"] = "Extract the archive with RUN tar instead"
            }
            let flags = try Flags(flagWords, accepted: accepted, unsupported: unsupported)
            let (words, isJSON) = Words.jsonOrWhitespace(rest)
            var docs: [Heredoc] = []
            var sources = words
            if !isJSON {
                let found = try heredocs(in: words)
                if found.markers.contains(words.count - 1) {
                    throw DockerfileError(message: "\(name) cannot accept a heredoc as destination. Write `\(name) <<EOF /path/to/file`")
                }
                docs = found.docs
                sources = words.enumerated().filter { !found.markers.contains($0.offset) }.map(\.element)
            }
            guard sources.count + docs.count >= 2, let destination = sources.popLast() else {
                throw DockerfileError(message: "\(name) requires at least two arguments, but only \(words.count) provided. Write `\(name) <source>... <destination>`")
            }
            let copy = CopyCommand(sources: sources, destination: destination, from: flags.strings["from"],
                                   chown: flags.strings["chown"], chmod: flags.strings["chmod"],
                                   link: flags.bools["link"] ?? false, heredocs: docs)
            command = name == "COPY" ? .copy(copy) : .add(copy)
        case "ENV", "LABEL":
            try noFlags()
            let pairs = try nameValues(required(rest), keyword: name)
            command = name == "ENV" ? .env(pairs) : .label(pairs)
        case "ARG":
            try noFlags()
            var args: [ArgDeclaration] = []
            for word in Words.quoted(try required(rest), escape: escape) {
                if let eq = word.firstIndex(of: "=") {
                    let key = String(word[..<eq])
                    guard !key.isEmpty else { throw DockerfileError(message: "ARG names can not be blank") }
                    args.append(ArgDeclaration(name: key, defaultValue: String(word[word.index(after: eq)...])))
                } else {
                    args.append(ArgDeclaration(name: word))
                }
            }
            command = .arg(args)
        case "WORKDIR":
            try noFlags()
            command = .workdir(try required(rest))
        case "USER":
            try noFlags()
            command = .user(try required(rest))
        case "MAINTAINER":
            guard !isTrigger else { throw Self.notATrigger(name) }
            try noFlags()
            command = .maintainer(try required(rest))
        case "STOPSIGNAL":
            try noFlags()
            let words = Words.whitespace(rest)
            guard words.count == 1 else { throw DockerfileError(message: "STOPSIGNAL requires exactly one argument, e.g. `STOPSIGNAL SIGQUIT`") }
            command = .stopsignal(words[0])
        case "EXPOSE":
            try noFlags()
            let words = Words.whitespace(rest)
            guard !words.isEmpty else { throw DockerfileError(message: "EXPOSE requires at least one argument, e.g. `EXPOSE 80/tcp`") }
            command = .expose(words)
        case "VOLUME":
            try noFlags()
            let words = Words.jsonOrWhitespace(try required(rest)).words
            guard !words.isEmpty else { throw DockerfileError(message: "VOLUME requires at least one argument") }
            for word in words where word.trimmingSpace().isEmpty {
                throw DockerfileError(message: "VOLUME specified can not be an empty string")
            }
            command = .volume(words)
        case "CMD", "ENTRYPOINT":
            try noFlags()
            let form: CommandForm
            if let exec = Words.jsonArray(rest) { form = .exec(exec) } else { form = .shell(try required(rest)) }
            command = name == "CMD" ? .cmd(form) : .entrypoint(form)
        case "SHELL":
            try noFlags()
            guard let shell = Words.jsonArray(rest) else {
                throw DockerfileError(message: "SHELL requires the arguments to be in JSON form, e.g. SHELL [\"/bin/bash\", \"-c\"]")
            }
            guard !shell.isEmpty else { throw DockerfileError(message: "SHELL requires at least one argument") }
            command = .shell(shell)
        case "HEALTHCHECK":
            command = .healthcheck(try Self.healthcheck(flagWords: flagWords, rest: rest))
        case "ONBUILD":
            guard !isTrigger else {
                throw DockerfileError(message: "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
            }
            try noFlags()
            let triggerText = try required(rest)
            var trigger = InstructionParser(escape: escape, location: location)
            guard case .instruction(let inner) = try trigger.parse(triggerText, reader: &reader, isTrigger: true) else {
                throw Self.notATrigger("FROM")
            }
            // The trigger's heredoc bodies belong to the ONBUILD line's text too.
            original = String(trimmed.unicodeScalars.dropLast(triggerText.unicodeScalars.count)) + inner.original
            command = .onbuild(inner)
        default:
            throw DockerfileError(message: "unknown instruction: \(name)")
        }
        return .instruction(Instruction(command: command, location: location, original: original))
    }

    // MARK: - Pieces

    private mutating func nameValues(_ rest: String, keyword: String) throws(DockerfileError) -> [KeyValue] {
        let words = Words.quoted(rest, escape: escape)
        guard let first = words.first else { throw DockerfileError(message: "\(keyword) requires at least one argument") }
        if !first.contains("=") {
            // Legacy `ENV key value with spaces`: the rest of the line is the value.
            let scalars = rest.unicodeScalars
            let key = scalars.prefix(while: { !isSpace($0) })
            let value = String(String.UnicodeScalarView(scalars.dropFirst(key.count).drop(while: isSpace)))
            guard !value.isEmpty else {
                throw DockerfileError(message: "\(keyword) must have two arguments. Write `\(keyword) name=value`")
            }
            usedLegacyKeyValue = true
            return [KeyValue(key: String(String.UnicodeScalarView(key)), value: value)]
        }
        var pairs: [KeyValue] = []
        for word in words {
            guard let eq = word.firstIndex(of: "=") else {
                throw DockerfileError(message: "Syntax error - can't find = in \"\(word)\". Must be of the form: name=value")
            }
            let key = String(word[..<eq])
            guard !key.isEmpty else { throw DockerfileError(message: "\(keyword) names can not be blank") }
            pairs.append(KeyValue(key: key, value: String(word[word.index(after: eq)...])))
        }
        return pairs
    }

    private static func healthcheck(flagWords: [String], rest: String) throws(DockerfileError) -> HealthcheckCommand {
        let words = Words.whitespace(rest)
        guard let type = words.first?.uppercased() else {
            throw DockerfileError(message: "HEALTHCHECK requires an argument: `HEALTHCHECK NONE` or `HEALTHCHECK [options] CMD command`")
        }
        if type == "NONE" {
            guard words.count == 1 else { throw DockerfileError(message: "HEALTHCHECK NONE takes no arguments") }
            guard flagWords.isEmpty else { throw DockerfileError(message: "options cannot be used with HEALTHCHECK NONE") }
            return .none
        }
        guard type == "CMD" else {
            throw DockerfileError(message: "Unknown type \"\(words[0])\" in HEALTHCHECK (try CMD)")
        }
        let flags = try Flags(flagWords, accepted: ["interval": .string, "timeout": .string, "start-period": .string,
                                                    "start-interval": .string, "retries": .string])
        var durations: [String: String] = [:]
        for name in ["interval", "timeout", "start-period", "start-interval"] {
            guard let text = flags.strings[name] else { continue }
            guard let nanoseconds = try? GoDuration.parse(text) else {
                throw DockerfileError(message: "invalid duration \"\(text)\" for --\(name). Write it like 30s, 1m30s or 500ms")
            }
            guard nanoseconds == 0 || nanoseconds >= 1_000_000 else {
                throw DockerfileError(message: "--\(name) cannot be less than 1ms (got \"\(text)\")")
            }
            durations[name] = text
        }
        var retries: Int?
        if let text = flags.strings["retries"] {
            guard let value = Int(text) else { throw DockerfileError(message: "--retries must be a whole number, not \"\(text)\"") }
            guard value >= 1 else { throw DockerfileError(message: "--retries must be at least 1 (not \(value))") }
            retries = value
        }
        let scalars = rest.unicodeScalars
        let afterType = String(String.UnicodeScalarView(scalars.dropFirst(words[0].unicodeScalars.count).drop(while: isSpace)))
        guard !afterType.isEmpty else { throw DockerfileError(message: "HEALTHCHECK CMD requires a command") }
        let test: CommandForm = Words.jsonArray(afterType).map { .exec($0) } ?? .shell(afterType)
        return .check(test: test, interval: durations["interval"], timeout: durations["timeout"],
                      startPeriod: durations["start-period"], startInterval: durations["start-interval"], retries: retries)
    }

    static func isValidStageName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0) }
    }

    private static func notATrigger(_ keyword: String) -> DockerfileError {
        DockerfileError(message: "\(keyword) isn't allowed as an ONBUILD trigger")
    }

    /// " (did you mean COPY?)" for a keyword close to a known one, else "".
    static func suggestion(for word: String) -> String {
        guard word.count <= 32 else { return ". Instructions are \(keywords.joined(separator: ", "))" }
        let scored = keywords.map { ($0, editDistance(word, $0)) }.min { $0.1 < $1.1 }
        if let (best, distance) = scored, distance <= max(1, best.count / 3) {
            return " (did you mean \(best)?)"
        }
        return ". Instructions are \(keywords.joined(separator: ", "))"
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }
}

/// `<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'` as one word of a RUN/COPY/ADD line.
struct HeredocMarker {
    var name: String
    var expand: Bool
    var chomp: Bool

    init?(_ word: String, escape: Unicode.Scalar) {
        var scalars = word.unicodeScalars[...]
        scalars = scalars.drop(while: { ("0"..."9").contains($0) })
        guard scalars.starts(with: "<<".unicodeScalars) else { return nil }
        scalars = scalars.dropFirst(2)
        chomp = scalars.first == "-"
        if chomp { scalars = scalars.dropFirst() }
        guard !scalars.isEmpty, !scalars.contains("<") else { return nil }
        // The delimiter is the word with its quotes and escapes removed; any quote turns expansion off.
        var name = String.UnicodeScalarView()
        var quote: Unicode.Scalar?
        var quoted = false
        var iterator = scalars.makeIterator()
        while let c = iterator.next() {
            if let q = quote {
                if c == q { quote = nil } else { name.append(c) }
            } else if c == "'" || c == "\"" {
                quote = c
                quoted = true
            } else if c == escape {
                // As in BuildKit, only quotes turn expansion off; an escape just keeps the next character.
                if let next = iterator.next() { name.append(next) }
            } else {
                name.append(c)
            }
        }
        guard quote == nil, !name.isEmpty else { return nil }
        self.name = String(name)
        self.expand = !quoted
    }
}
