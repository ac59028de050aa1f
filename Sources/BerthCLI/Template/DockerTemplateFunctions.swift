/// docker/cli's template functions (`templates/templates.go`).
enum DockerTemplateFunctions {
    /// `basicFunctions`: added to every template.
    static let basic: [String: TemplateFunction] = [
        "json": TemplateFunction([.any]) { .string(GoJSON.encode($0[0]) ?? "") },
        "split": TemplateFunction([.string, .string]) { args in
            let parts = split(string(args[0]), separator: string(args[1]))
            return .array(parts.map { .string($0) })
        },
        "join": TemplateFunction([.stringSlice, .string]) { args in
            .string(strings(args[0]).joined(separator: string(args[1])))
        },
        "title": TemplateFunction([.string]) { .string(GoText.title(string($0[0]))) },
        "lower": TemplateFunction([.string]) { .string(GoText.lower(string($0[0]))) },
        "upper": TemplateFunction([.string]) { .string(GoText.upper(string($0[0]))) },
        "pad": TemplateFunction([.string, .int, .int]) { args throws(TemplateFunctionFailure) in
            let source = string(args[0])
            let prefix = int(args[1])
            let suffix = int(args[2])
            guard !source.isEmpty else { return .string(source) }
            guard prefix >= 0, suffix >= 0 else { throw TemplateFunctionFailure("strings: negative Repeat count") }
            return .string(String(repeating: " ", count: prefix) + source + String(repeating: " ", count: suffix))
        },
        "truncate": TemplateFunction([.string, .int]) { args throws(TemplateFunctionFailure) in
            let bytes = Array(string(args[0]).utf8)
            let length = int(args[1])
            if bytes.count < length { return args[0] }
            guard length >= 0 else {
                throw TemplateFunctionFailure("runtime error: slice bounds out of range [:\(length)]")
            }
            return .string(String(decoding: bytes[0..<length], as: UTF8.self))
        },
    ]

    /// `HeaderFunctions`: used when rendering a table header so headers stay intact.
    /// `pad` and Go's builtins are deliberately not overridden.
    static let header: [String: TemplateFunction] = [
        "json": TemplateFunction([.string]) { $0[0] },
        "split": TemplateFunction([.string, .string]) { $0[0] },
        "join": TemplateFunction([.string, .string]) { $0[0] },
        "title": TemplateFunction([.string]) { $0[0] },
        "lower": TemplateFunction([.string]) { $0[0] },
        "upper": TemplateFunction([.string]) { $0[0] },
        "truncate": TemplateFunction([.string, .int]) { $0[0] },
    ]

    private static func string(_ value: TemplateValue?) -> String {
        if case let .string(text) = value { return text }
        return ""
    }

    private static func int(_ value: TemplateValue?) -> Int {
        if case let .int(number) = value { return Int(clamping: number) }
        return 0
    }

    private static func strings(_ value: TemplateValue?) -> [String] {
        guard case let .array(items) = value else { return [] }
        return items.map { string($0) }
    }

    /// `strings.Split`: an empty separator splits into UTF-8 sequences (code points).
    static func split(_ text: String, separator: String) -> [String] {
        if separator.isEmpty {
            return text.unicodeScalars.map { String($0) }
        }
        var parts: [String] = []
        let bytes = Array(text.utf8)
        let sep = Array(separator.utf8)
        var start = 0
        var index = 0
        while index + sep.count <= bytes.count {
            if bytes[index..<(index + sep.count)].elementsEqual(sep) {
                parts.append(String(decoding: bytes[start..<index], as: UTF8.self))
                index += sep.count
                start = index
            } else {
                index += 1
            }
        }
        parts.append(String(decoding: bytes[start...], as: UTF8.self))
        return parts
    }
}
