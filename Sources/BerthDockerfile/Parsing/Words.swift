import Foundation

/// The ways BuildKit's parser cuts an instruction's arguments into words.
enum Words {
    /// Leading `--flag[=value]` words (quotes removed, `\` escapes the next character) and the rest of
    /// the line after them; a lone `--` ends the flags.
    static func extractFlags(_ line: String) -> (flags: [String], rest: String) {
        let s = Array(line.unicodeScalars)
        var flags: [String] = []
        var pos = 0
        func rest(_ from: Int) -> String { String(String.UnicodeScalarView(s[min(from, s.count)...])) }
        while true {
            while pos < s.count, isSpace(s[pos]) { pos += 1 }
            guard pos + 1 < s.count, s[pos] == "-", s[pos + 1] == "-" else { return (flags, rest(pos)) }
            var word = String.UnicodeScalarView()
            var quote: Unicode.Scalar?
            var blankOK = false
            while pos < s.count {
                let c = s[pos]
                if let q = quote {
                    if c == q { quote = nil; pos += 1; continue }
                    if c == "\\" {
                        pos += 1
                        if pos >= s.count { break }
                    }
                    word.append(s[pos])
                    pos += 1
                    continue
                }
                if isSpace(c) { break }
                if c == "'" || c == "\"" { quote = c; blankOK = true; pos += 1; continue }
                if c == "\\" {
                    pos += 1
                    if pos >= s.count { break }
                }
                word.append(s[pos])
                pos += 1
            }
            let text = String(word)
            if text == "--" { return (flags, rest(pos)) }
            if blankOK || !text.isEmpty { flags.append(text) }
            if pos >= s.count { return (flags, "") }
        }
    }

    /// Words separated by white space outside quotes, quotes and escapes kept (ENV, LABEL, ARG).
    static func quoted(_ text: String, escape: Unicode.Scalar) -> [String] {
        let s = Array(text.unicodeScalars)
        var words: [String] = []
        var word = String.UnicodeScalarView()
        var inWord = false
        var quote: Unicode.Scalar?
        var blankOK = false
        var pos = 0
        func finish() {
            if blankOK || !word.isEmpty { words.append(String(word)) }
            word = String.UnicodeScalarView()
            inWord = false
            blankOK = false
        }
        while pos < s.count {
            let c = s[pos]
            if let q = quote {
                if c == q { quote = nil }
                if c == escape && q != "'" {
                    if pos + 1 == s.count { quote = nil; pos += 1; continue }
                    word.append(c)
                    pos += 1
                    word.append(s[pos])
                    pos += 1
                    continue
                }
                word.append(c)
                pos += 1
                continue
            }
            if isSpace(c) {
                if inWord { finish() }
                pos += 1
                continue
            }
            inWord = true
            if c == "'" || c == "\"" { quote = c; blankOK = true }
            if c == escape {
                if pos + 1 == s.count { pos += 1; continue }
                word.append(c)
                pos += 1
            }
            word.append(s[pos])
            pos += 1
        }
        if inWord { finish() }
        return words
    }

    /// Words separated by white space, nothing else special (EXPOSE, FROM, COPY's shell form).
    static func whitespace(_ text: String) -> [String] {
        text.unicodeScalars.split(whereSeparator: isSpace).map { String(String.UnicodeScalarView($0)) }
    }

    /// The JSON array of strings `text` holds, or nil when it is not one (Docker then uses the shell form).
    static func jsonArray(_ text: String) -> [String]? {
        let trimmed = text.trimmingSpace()
        guard trimmed.hasPrefix("[") else { return nil }
        return try? JSONDecoder().decode([String].self, from: Data(trimmed.utf8))
    }

    /// A JSON array's elements, or the white-space separated words (VOLUME, COPY, ADD).
    static func jsonOrWhitespace(_ text: String) -> (words: [String], isJSON: Bool) {
        if let array = jsonArray(text) { return (array, true) }
        return (whitespace(text), false)
    }
}
