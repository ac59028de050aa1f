import Foundation

/// JSON text of a value built from dictionaries, arrays, strings, numbers, booleans and
/// `NSNull` (what routes build and what `JSONSerialization.jsonObject` returns), written
/// straight from the Swift values. Foundation's `JSONSerialization` on Linux bridges every
/// dictionary and array through `NSDictionary`/`NSArray`: 85% of a 200-container `ps` went
/// there. Keys are sorted, so the same value always gives the same bytes; `/` is not escaped.
enum JSONText {
    struct InvalidValue: Error, CustomStringConvertible {
        let description: String
    }

    static func data(_ value: Any) throws(InvalidValue) -> Data {
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        try write(value, into: &out)
        return Data(out)
    }

    static func write(_ value: Any, into out: inout [UInt8]) throws(InvalidValue) {
        switch value {
        case let s as String:
            writeString(s, into: &out)
        case let d as [String: Any]:
            out.append(UInt8(ascii: "{"))
            for (i, entry) in d.sorted(by: { $0.key < $1.key }).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeString(entry.key, into: &out)
                out.append(UInt8(ascii: ":"))
                try write(entry.value, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        case let a as [Any]:
            out.append(UInt8(ascii: "["))
            for (i, element) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                try write(element, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case is NSNull:
            out.append(contentsOf: "null".utf8)
        default:
            try writeScalar(value, into: &out)
        }
    }

    /// Numbers and booleans. `NSNumber` first: one parsed from JSON also casts to `Bool` when
    /// it is 0 or 1, so only its type code tells a boolean from a number.
    private static func writeScalar(_ value: Any, into out: inout [UInt8]) throws(InvalidValue) {
        let type = type(of: value)
        if type is NSNumber.Type, let n = value as? NSNumber {
            switch UInt8(bitPattern: n.objCType.pointee) {
            case UInt8(ascii: "c"): out.append(contentsOf: (n.boolValue ? "true" : "false").utf8)
            case UInt8(ascii: "d"), UInt8(ascii: "f"): try writeDouble(n.doubleValue, into: &out)
            case UInt8(ascii: "Q"), UInt8(ascii: "L"), UInt8(ascii: "I"), UInt8(ascii: "S"), UInt8(ascii: "C"):
                out.append(contentsOf: String(n.uint64Value).utf8)
            default: out.append(contentsOf: String(n.int64Value).utf8)
            }
            return
        }
        switch value {
        case let b as Bool where type == Bool.self: out.append(contentsOf: (b ? "true" : "false").utf8)
        case let i as Int: out.append(contentsOf: String(i).utf8)
        case let i as Int64: out.append(contentsOf: String(i).utf8)
        case let i as UInt64: out.append(contentsOf: String(i).utf8)
        case let i as Int32: out.append(contentsOf: String(i).utf8)
        case let i as UInt32: out.append(contentsOf: String(i).utf8)
        case let i as UInt16: out.append(contentsOf: String(i).utf8)
        case let i as UInt8: out.append(contentsOf: String(i).utf8)
        case let i as UInt: out.append(contentsOf: String(i).utf8)
        case let d as Double: try writeDouble(d, into: &out)
        case let f as Float: try writeDouble(Double(f), into: &out)
        default:
            // An Optional that was nil, stored as Any: null, as JSONSerialization has no such case to accept.
            if Mirror(reflecting: value).displayStyle == .optional, Mirror(reflecting: value).children.isEmpty {
                out.append(contentsOf: "null".utf8)
                return
            }
            throw InvalidValue(description: "a \(type) value cannot be written as JSON")
        }
    }

    /// Integral values as integers (Go's decoders refuse `3.0` for an int field), others in
    /// Swift's shortest round-tripping form.
    private static func writeDouble(_ d: Double, into out: inout [UInt8]) throws(InvalidValue) {
        guard d.isFinite else { throw InvalidValue(description: "\(d) cannot be written as JSON") }
        if d == d.rounded(), abs(d) < 9.007_199_254_740_992e15 {
            out.append(contentsOf: String(Int64(d)).utf8)
        } else {
            out.append(contentsOf: "\(d)".utf8)
        }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    private static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0a: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0d: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                        hex[Int(byte >> 4)], hex[Int(byte & 0xf)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
