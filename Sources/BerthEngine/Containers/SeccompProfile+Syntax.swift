import BerthRuntime
import Foundation

extension SeccompProfile {
    /// Decodes a user's profile as the shim will, naming the line and column of a JSON syntax
    /// error, which the shim's decoder (FoundationEssentials only) cannot.
    static func checked(_ data: Data, source: String) throws(SeccompError) -> SeccompProfile {
        do {
            return try decode(data, path: source)
        } catch {
            if case .malformedProfile = error, let where_ = syntaxError(in: data) {
                throw .malformedProfile(path: source, reason: where_)
            }
            throw error
        }
    }

    /// Where the JSON syntax breaks ("invalid JSON at line 3, column 14: Invalid value …"):
    /// JSONDecoder does not say, JSONSerialization gives a character offset. nil for valid JSON.
    static func syntaxError(in data: Data) -> String? {
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            return nil
        } catch {
            guard let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String else { return nil }
            guard let range = detail.range(of: "character "),
                  let offset = Int(detail[range.upperBound...].prefix(while: \.isNumber)) else {
                return "invalid JSON: \(detail)"
            }
            let before = data.prefix(offset)
            let line = before.count(where: { $0 == UInt8(ascii: "\n") }) + 1
            let column = before.count - (before.lastIndex(of: UInt8(ascii: "\n")).map { $0 - before.startIndex + 1 } ?? 0) + 1
            return "invalid JSON at line \(line), column \(column): \(detail)"
        }
    }
}
