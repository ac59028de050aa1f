import Foundation

/// A JSON-like value that a ``GoTemplate`` walks.
///
/// Objects keep their keys in the order given; ``init(json:)`` sorts them so
/// output is deterministic. Go-style `%v` rendering (`map[k:v]`) always sorts
/// keys, like Go's `fmt` does for maps; `{{json .}}` keeps the stored order.
public enum TemplateValue: Sendable, Equatable {
    /// JSON `null`; prints as `<no value>` when output directly, `<nil>` inside collections.
    case null
    /// A boolean, printed `true`/`false`.
    case bool(Bool)
    /// An integer, printed without decimals.
    case int(Int64)
    /// A floating-point number, printed like Go's `%v` (`1.5`, `1e+06`).
    case double(Double)
    /// A string, printed as-is.
    case string(String)
    /// An array, printed `[a b c]`.
    case array([TemplateValue])
    /// An object with ordered keys, printed `map[k:v]` with sorted keys.
    case object([(String, TemplateValue)])

    /// Structural equality; objects compare keys and values in order.
    public static func == (lhs: TemplateValue, rhs: TemplateValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.int(a), .int(b)): return a == b
        case let (.double(a), .double(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }
}

extension TemplateValue {
    /// Converts the output of `JSONSerialization` (or plain Swift values of the
    /// same shapes) into a template value. Object keys are sorted by their
    /// UTF-8 bytes; integral JSON numbers become `.int`, others `.double`.
    /// Values of unknown types become their `String(describing:)` text.
    public init(json: Any) {
        switch json {
        case is NSNull:
            self = .null
        case let string as String:
            self = .string(string)
        case let number as NSNumber:
            self = TemplateValue.classify(number)
        case let array as [Any]:
            self = .array(array.map { TemplateValue(json: $0) })
        case let dictionary as [String: Any]:
            let pairs = dictionary.map { ($0.key, TemplateValue(json: $0.value)) }
            self = .object(pairs.sorted { GoText.less($0.0, $1.0) })
        default:
            let mirror = Mirror(reflecting: json)
            if mirror.displayStyle == .optional {
                if let wrapped = mirror.children.first?.value {
                    self.init(json: wrapped)
                } else {
                    self = .null
                }
            } else {
                self = .string(String(describing: json))
            }
        }
    }

    /// Parses JSON text (fragments allowed) with `JSONSerialization`.
    public init(parsingJSON text: String) throws {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        self.init(json: object)
    }

    private static func classify(_ number: NSNumber) -> TemplateValue {
        let type = String(cString: number.objCType)
        switch type {
        case "c", "B":
            return .bool(number.boolValue)
        case "f", "d":
            return .double(number.doubleValue)
        case "Q", "L", "I", "S", "C":
            let value = number.uint64Value
            return value <= UInt64(Int64.max) ? .int(Int64(value)) : .double(number.doubleValue)
        default:
            return .int(number.int64Value)
        }
    }

    /// Looks up `key` in an object; `nil` when absent or not an object.
    public subscript(key: String) -> TemplateValue? {
        guard case let .object(pairs) = self else { return nil }
        return pairs.first { $0.0 == key }?.1
    }

    /// The Go type name used in error messages (`string`, `int`, `[]interface {}`, ...).
    var goTypeName: String {
        switch self {
        case .null: return "interface {}"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float64"
        case .string: return "string"
        case .array: return "[]interface {}"
        case .object: return "map[string]interface {}"
        }
    }

    /// Object pairs sorted by key bytes, as Go's `fmt` and `range` order maps.
    var sortedPairs: [(String, TemplateValue)] {
        guard case let .object(pairs) = self else { return [] }
        return pairs.sorted { GoText.less($0.0, $1.0) }
    }
}
