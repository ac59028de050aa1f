/// The Go parameter type a template function expects; drives argument checking.
enum TemplateParam: Sendable {
    /// `reflect.Value`: anything, JSON null kept distinct from "no value".
    case value
    /// `interface{}`: anything; "no value" becomes nil.
    case any
    case string
    case int
    /// `[]string`: an array whose elements are all strings.
    case stringSlice

    var goName: String {
        switch self {
        case .value: return "reflect.Value"
        case .any: return "interface {}"
        case .string: return "string"
        case .int: return "int"
        case .stringSlice: return "[]string"
        }
    }

    /// Go's `canBeNil`: whether an absent value may be passed.
    var canBeNil: Bool {
        switch self {
        case .value, .any, .stringSlice: return true
        case .string, .int: return false
        }
    }
}
