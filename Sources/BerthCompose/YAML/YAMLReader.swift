// libyaml as Yams bundles it (Yams's own composer cannot refuse an alias bomb before it hashes
// the expanded keys, so the events are read here).
import CYaml
import Foundation

/// Bounds on what one compose file may make the reader do.
public struct YAMLLimits: Sendable {
    /// The largest file read (docker compose files are a few KiB).
    public var maxBytes = 4 << 20
    /// Nodes the document may have once every alias is expanded (each scalar also counts a unit
    /// per 64 bytes): an alias costs what it stands for, charged before it is used, so a
    /// "billion laughs" document is refused after at most this much work.
    public var maxNodes = 1_000_000
    /// Collections inside collections.
    public var maxDepth = 64

    public init() {}
}

/// Reads one YAML document into `YAMLNode`s from libyaml's events.
public enum YAMLReader {
    /// Parses `data` (named `file` in errors). An empty document is `nil`.
    public static func read(_ data: Data, file: String, limits: YAMLLimits = YAMLLimits()) throws -> YAMLNode? {
        guard data.count <= limits.maxBytes else { throw ComposeError.tooLarge(file: file, bytes: data.count, limit: limits.maxBytes) }
        guard String(data: data, encoding: .utf8) != nil else {
            throw ComposeError.yaml(file: file, line: 1, column: 1, problem: "the file is not valid UTF-8")
        }
        let events = EventStream(data, file: file)
        var composer = Composer(events: events, file: file, limits: limits)
        return try composer.document()
    }

    /// The line each key and sequence item of `data` starts on, by its dotted path
    /// ("services.web.ports.0"); for naming the line of a value the decoder refuses. Entries that
    /// come through an alias or a merge key are not listed (the alias's own key is).
    static func lines(of data: Data, file: String, limits: YAMLLimits = YAMLLimits()) -> [String: Int] {
        guard data.count <= limits.maxBytes else { return [:] }
        var composer = Composer(events: EventStream(data, file: file), file: file, limits: limits)
        composer.positions = [:]
        _ = try? composer.document()
        return composer.positions ?? [:]
    }
}

/// One libyaml event, copied out of C.
enum Event {
    case streamStart, streamEnd, documentStart, documentEnd
    case alias(anchor: String)
    case scalar(text: String, anchor: String?, tag: String?, plain: Bool)
    case sequenceStart(anchor: String?, tag: String?)
    case sequenceEnd
    case mappingStart(anchor: String?, tag: String?)
    case mappingEnd
}

/// libyaml's parser over a private copy of the bytes.
final class EventStream {
    private let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
    private let input: UnsafeMutableBufferPointer<UInt8>
    let file: String
    /// Where the last event started (1-based).
    private(set) var line = 1, column = 1

    init(_ data: Data, file: String) {
        self.file = file
        input = .allocate(capacity: max(data.count, 1))
        _ = input.initialize(from: data)
        yaml_parser_initialize(parser)
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
        yaml_parser_set_input_string(parser, input.baseAddress, data.count)
    }

    deinit {
        yaml_parser_delete(parser)
        parser.deallocate()
        input.deallocate()
    }

    func next() throws -> Event {
        var event = yaml_event_t()
        guard yaml_parser_parse(parser, &event) == 1 else {
            let p = parser.pointee
            let problem = p.problem.map { String(cString: $0) } ?? "invalid YAML"
            let context = p.context.map { String(cString: $0) + ": " } ?? ""
            throw ComposeError.yaml(file: file, line: p.problem_mark.line + 1, column: p.problem_mark.column + 1, problem: context + problem)
        }
        defer { yaml_event_delete(&event) }
        line = event.start_mark.line + 1
        column = event.start_mark.column + 1
        func text(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String? { p.map { String(cString: $0) } }
        switch event.type {
        case YAML_STREAM_START_EVENT: return .streamStart
        case YAML_STREAM_END_EVENT: return .streamEnd
        case YAML_DOCUMENT_START_EVENT: return .documentStart
        case YAML_DOCUMENT_END_EVENT: return .documentEnd
        case YAML_ALIAS_EVENT: return .alias(anchor: text(event.data.alias.anchor) ?? "")
        case YAML_SCALAR_EVENT:
            let s = event.data.scalar
            let value = String(decoding: UnsafeBufferPointer(start: s.value, count: s.length), as: UTF8.self)
            return .scalar(text: value, anchor: text(s.anchor), tag: text(s.tag), plain: s.style == YAML_PLAIN_SCALAR_STYLE)
        case YAML_SEQUENCE_START_EVENT:
            return .sequenceStart(anchor: text(event.data.sequence_start.anchor), tag: text(event.data.sequence_start.tag))
        case YAML_SEQUENCE_END_EVENT: return .sequenceEnd
        case YAML_MAPPING_START_EVENT:
            return .mappingStart(anchor: text(event.data.mapping_start.anchor), tag: text(event.data.mapping_start.tag))
        case YAML_MAPPING_END_EVENT: return .mappingEnd
        default:
            throw ComposeError.yaml(file: file, line: line, column: column, problem: "unexpected YAML event")
        }
    }
}

/// Builds nodes from events, charging every node (and every alias, at its expanded size) to a budget.
struct Composer {
    let events: EventStream
    let file: String
    let limits: YAMLLimits
    private var anchors: [String: (node: YAMLNode, cost: Int)] = [:]
    private var spent = 0
    /// When not nil, where each path starts is recorded here (`YAMLReader.lines`).
    var positions: [String: Int]?

    init(events: EventStream, file: String, limits: YAMLLimits) {
        self.events = events
        self.file = file
        self.limits = limits
    }

    mutating func document() throws -> YAMLNode? {
        guard case .streamStart = try events.next() else { throw problem("expected the start of a stream") }
        switch try events.next() {
        case .streamEnd: return nil
        case .documentStart: break
        default: throw problem("expected a document")
        }
        let (root, _) = try node(try events.next(), depth: 0, path: [])
        guard case .documentEnd = try events.next() else { throw problem("expected the end of the document") }
        switch try events.next() {
        case .streamEnd: break
        case .documentStart: throw problem("a compose file holds one YAML document; found a second one (---)")
        default: throw problem("expected the end of the stream")
        }
        return root
    }

    /// A problem at the last event read, or at `at` (line, column).
    private func problem(_ text: String, at: (Int, Int)? = nil) -> ComposeError {
        .yaml(file: file, line: at?.0 ?? events.line, column: at?.1 ?? events.column, problem: text)
    }

    /// A tag other than YAML's core ones (`!`, `!!str`, `!!null`, `!!int`, `!!bool`, `!!float`,
    /// `!!map`, `!!seq`, where they fit), refused at its line rather than ignored.
    private func unsupportedTag(_ tag: String) -> ComposeError {
        let shown = tag.hasPrefix("tag:yaml.org,2002:") ? "!!" + tag.dropFirst(18) : tag
        switch shown {
        case "!reset":
            return problem("the !reset tag is not supported by berth compose yet: remove the key from the file that sets it instead of resetting it in a later file")
        case "!override":
            return problem("the !override tag is not supported by berth compose yet: give the whole value in one file instead of overriding it in a later file")
        default:
            return problem("the YAML tag \(shown) is not supported (compose files may use !!str, !!int, !!float, !!bool, !!null, !!map and !!seq)")
        }
    }

    private mutating func charge(_ cost: Int) throws {
        spent += cost
        if spent > limits.maxNodes {
            throw ComposeError.tooComplex(file: file, problem: "the document expands to more than \(limits.maxNodes) nodes (aliases that repeat aliases?); refused")
        }
    }

    /// The node that starts with `event`, and what it cost.
    private mutating func node(_ event: Event, depth: Int, path: [String]) throws -> (YAMLNode, Int) {
        switch event {
        case .alias(let anchor):
            guard let target = anchors[anchor] else { throw problem("unknown anchor '\(anchor)' referenced") }
            try charge(target.cost)
            return target
        case .scalar(let text, let anchor, let tag, let plain):
            let kind: YAMLScalar.Kind
            switch tag {
            case "tag:yaml.org,2002:str": kind = .string
            case "tag:yaml.org,2002:null": kind = .null
            case "tag:yaml.org,2002:int": kind = .int
            case "tag:yaml.org,2002:bool": kind = .bool
            case "tag:yaml.org,2002:float": kind = .float
            case nil, "!": kind = plain && tag == nil ? YAMLScalar.resolvePlain(text) : .string
            default: throw unsupportedTag(tag ?? "")
            }
            let cost = 1 + text.utf8.count / 64
            try charge(cost)
            let result = (YAMLNode.scalar(YAMLScalar(text, kind)), cost)
            if let anchor { anchors[anchor] = result }
            return result
        case .sequenceStart(let anchor, let tag):
            if let tag, tag != "!", tag != "tag:yaml.org,2002:seq" { throw unsupportedTag(tag) }
            guard depth < limits.maxDepth else {
                throw ComposeError.tooComplex(file: file, problem: "collections nest deeper than \(limits.maxDepth) levels (line \(events.line)); refused")
            }
            var items: [YAMLNode] = []
            var cost = 1
            try charge(1)
            while true {
                let next = try events.next()
                if case .sequenceEnd = next { break }
                let itemPath = path + [String(items.count)]
                if positions != nil { positions![itemPath.joined(separator: ".")] = events.line }
                let (item, itemCost) = try node(next, depth: depth + 1, path: itemPath)
                items.append(item)
                cost += itemCost
            }
            let result = (YAMLNode.sequence(items), cost)
            if let anchor { anchors[anchor] = result }
            return result
        case .mappingStart(let anchor, let tag):
            if let tag, tag != "!", tag != "tag:yaml.org,2002:map" { throw unsupportedTag(tag) }
            guard depth < limits.maxDepth else {
                throw ComposeError.tooComplex(file: file, problem: "collections nest deeper than \(limits.maxDepth) levels (line \(events.line)); refused")
            }
            var mapping = YAMLMapping()
            var merged: [YAMLMapping.Entry] = []
            var mergedKeys: Set<String> = []
            var lines: [String: Int] = [:]
            var cost = 1
            try charge(1)
            while true {
                let keyEvent = try events.next()
                if case .mappingEnd = keyEvent { break }
                let keyLine = events.line, keyColumn = events.column
                guard case .scalar(let key, let keyAnchor, _, let plain) = keyEvent else {
                    throw problem("mapping keys must be strings (complex keys and aliases as keys are not allowed in compose files)")
                }
                let (_, keyCost) = try node(.scalar(text: key, anchor: keyAnchor, tag: nil, plain: plain), depth: depth + 1, path: path)
                let valuePath = path + [key]
                if positions != nil, positions![valuePath.joined(separator: ".")] == nil { positions![valuePath.joined(separator: ".")] = keyLine }
                let (value, valueCost) = try node(try events.next(), depth: depth + 1, path: valuePath)
                cost += keyCost + valueCost
                if plain && key == "<<" {
                    // YAML's merge key: the entries of a mapping (or of each of a list of mappings) not given here.
                    let sources: [YAMLNode]
                    if case .sequence(let items) = value { sources = items } else { sources = [value] }
                    for source in sources {
                        guard case .mapping(let m) = source else { throw problem("a merge key (<<) takes a mapping or a list of mappings") }
                        for entry in m.entries where mergedKeys.insert(entry.key).inserted { merged.append(entry) }
                    }
                    continue
                }
                if let first = lines[key] {
                    throw problem("mapping key \"\(key)\" already defined at line \(first)", at: (keyLine, keyColumn))
                }
                lines[key] = keyLine
                mapping.entries.append(YAMLMapping.Entry(key: key, value: value))
            }
            for entry in merged where lines[entry.key] == nil { mapping.entries.append(entry) }
            let result = (YAMLNode.mapping(mapping), cost)
            if let anchor { anchors[anchor] = result }
            return result
        default:
            throw problem("unexpected YAML structure")
        }
    }
}
