import Foundation

/// `.env` and `env_file` files as compose reads them (compose-go's dotenv): `KEY=VALUE` lines,
/// an optional `export ` prefix, `#` comments, single quotes literal, double quotes with `\n`,
/// `\t`, `\"`, `\\` escapes and several lines, unquoted values trimmed and cut at ` #`;
/// `${VAR}` expressions in unquoted and double-quoted values see the lines before and `lookup`.
/// A bare `KEY` takes KEY from `lookup`, and is left out when it is unset there.
public enum DotEnv {
    public static func parse(_ text: String, path: String, lookup: [String: String] = [:]) throws -> [(key: String, value: String)] {
        var result: [(key: String, value: String)] = []
        var known = lookup
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)[...]
        var lineNumber = 0
        while let raw = lines.popFirst() {
            lineNumber += 1
            var line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            line = line.drop { $0 == " " || $0 == "\t" }
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = line.dropFirst(7).drop { $0 == " " || $0 == "\t" } }
            guard let eq = line.firstIndex(where: { $0 == "=" || $0 == ":" }) ?? Optional(line.endIndex) else { continue }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || "_.-".contains($0) }), !key.first!.isNumber else {
                throw ComposeError.envFile(path: path, line: lineNumber, problem: "unexpected character in variable name \(String(line[..<eq]).debugDescription)")
            }
            if eq == line.endIndex {
                if let inherited = lookup[key] { result.append((key, inherited)); known[key] = inherited }
                continue
            }
            var rest = line[line.index(after: eq)...].drop { $0 == " " || $0 == "\t" }
            var value: String
            if let quote = rest.first, quote == "'" || quote == "\"" {
                rest = rest.dropFirst()
                var body = ""
                let start = lineNumber
                while true {
                    if let end = closingQuote(in: rest, quote: quote) {
                        body += rest[..<end]
                        break
                    }
                    guard let next = lines.popFirst() else {
                        throw ComposeError.envFile(path: path, line: start, problem: "unterminated quoted value")
                    }
                    lineNumber += 1
                    body += rest + "\n"
                    rest = next[...]
                }
                if quote == "'" {
                    value = body
                } else {
                    value = unescape(body)
                    value = try expand(value, known, path: path, line: start)
                }
            } else {
                if let hash = rest.range(of: " #") ?? rest.range(of: "\t#") { rest = rest[..<hash.lowerBound] }
                value = try expand(rest.trimmingCharacters(in: .whitespaces), known, path: path, line: lineNumber)
            }
            result.append((key, value))
            known[key] = value
        }
        return result
    }

    /// Reads and parses the file at `path`.
    public static func load(path: String, lookup: [String: String] = [:]) throws -> [(key: String, value: String)] {
        let data = try BoundedFile.read(path, limit: 4 << 20)
        return try parse(String(decoding: data, as: UTF8.self), path: path, lookup: lookup)
    }

    /// `env_file` with `format: raw`, as `docker run --env-file` reads files: blank and `#` lines
    /// skipped, `KEY=VALUE` with VALUE exactly as written (quotes, `\` and `$` kept); a bare `KEY`
    /// takes KEY from `lookup`, and is left out when it is unset there.
    public static func parseRaw(_ text: String, path: String, lookup: [String: String] = [:]) throws -> [(key: String, value: String)] {
        var result: [(key: String, value: String)] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = (raw.hasSuffix("\r") ? raw.dropLast() : raw).drop { $0 == " " || $0 == "\t" }
            if line.isEmpty || line.hasPrefix("#") { continue }
            let eq = line.firstIndex(of: "=") ?? line.endIndex
            let key = String(line[..<eq])
            guard !key.isEmpty, !key.contains(where: \.isWhitespace) else {
                throw ComposeError.envFile(path: path, line: n + 1, problem: "variable name \(key.debugDescription) must not be empty nor contain whitespace")
            }
            if eq == line.endIndex {
                if let inherited = lookup[key] { result.append((key, inherited)) }
            } else {
                result.append((key, String(line[line.index(after: eq)...])))
            }
        }
        return result
    }

    /// Reads and parses the file at `path` in the raw format.
    public static func loadRaw(path: String, lookup: [String: String] = [:]) throws -> [(key: String, value: String)] {
        let data = try BoundedFile.read(path, limit: 4 << 20)
        return try parseRaw(String(decoding: data, as: UTF8.self), path: path, lookup: lookup)
    }

    private static func closingQuote(in s: Substring, quote: Character) -> Substring.Index? {
        var i = s.startIndex
        while i < s.endIndex {
            if quote == "\"" && s[i] == "\\" {
                i = s.index(after: i)
                if i < s.endIndex { i = s.index(after: i) }
                continue
            }
            if s[i] == quote { return i }
            i = s.index(after: i)
        }
        return nil
    }

    private static func unescape(_ s: String) -> String {
        var out = ""
        var escaped = false
        for c in s {
            if escaped {
                switch c {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "r": out.append("\r")
                case "\"", "\\", "$": out.append(c)
                default: out.append("\\"); out.append(c)
                }
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else {
                out.append(c)
            }
        }
        if escaped { out.append("\\") }
        return out
    }

    private static func expand(_ s: String, _ variables: [String: String], path: String, line: Int) throws -> String {
        var interpolation = Interpolation(variables: variables)
        do {
            return try interpolation.expand(s)
        } catch .invalid {
            return s  // a `$` that starts no expression stays as written, as compose-go's dotenv keeps it
        } catch {
            throw ComposeError.envFile(path: path, line: line, problem: error.problem)
        }
    }
}
