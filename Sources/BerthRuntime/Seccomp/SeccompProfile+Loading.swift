import FoundationEssentials
import Glibc

extension SeccompProfile {
    /// The `source` used in errors about Docker's default profile.
    public static let defaultSource = "Docker's default seccomp profile"
    /// Profiles larger than this are refused (Docker's default is about 20 KiB).
    public static let maximumFileSize = 4 << 20

    /// Reads and decodes a profile file.
    public static func load(path: String) throws(SeccompError) -> SeccompProfile {
        try decode(try readFile(path), path: path)
    }

    /// Decodes profile JSON; `path` names it in errors. This runs in the shim, which links only
    /// FoundationEssentials (the rest of Foundation costs each shim about 0.5 MiB): a JSON
    /// syntax error says where it is only from berthd (`SeccompProfile.syntaxError(in:)` in
    /// BerthEngine), which checks a user's profile before a shim reads it.
    public static func decode(_ data: Data, path: String) throws(SeccompError) -> SeccompProfile {
        do {
            return try JSONDecoder().decode(SeccompProfile.self, from: data)
        } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty {
            throw .malformedProfile(path: path, reason: "invalid JSON: \(context.debugDescription)")
        } catch let error as DecodingError {
            throw .malformedProfile(path: path, reason: describe(error))
        } catch {
            throw .malformedProfile(path: path, reason: "\(error)")
        }
    }

    private static func readFile(_ path: String) throws(SeccompError) -> Data {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadableProfile(path: path, errno: errno) }
        defer { close(fd) }
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreadableProfile(path: path, errno: errno)
            }
            if n == 0 { return data }
            data.append(contentsOf: chunk[0..<n])
            if data.count > maximumFileSize { throw .profileTooLarge(path: path, size: data.count) }
        }
    }

    /// "at syscalls[3].args[0].value: expected UInt64 …" from a DecodingError.
    private static func describe(_ error: DecodingError) -> String {
        func at(_ path: [any CodingKey]) -> String {
            var text = ""
            for key in path {
                if let index = key.intValue { text += "[\(index)]" } else { text += text.isEmpty ? key.stringValue : ".\(key.stringValue)" }
            }
            return text.isEmpty ? "top level" : text
        }
        switch error {
        case let .dataCorrupted(context):
            let underlying = context.underlyingError.map { " (\($0))" } ?? ""
            return "at \(at(context.codingPath)): \(context.debugDescription)\(underlying)"
        case let .keyNotFound(key, context):
            return "at \(at(context.codingPath)): missing \"\(key.stringValue)\""
        case let .typeMismatch(type, context):
            return "at \(at(context.codingPath)): expected \(Self.jsonKind(type)); \(context.debugDescription)"
        case let .valueNotFound(type, context):
            return "at \(at(context.codingPath)): expected \(Self.jsonKind(type)), found null"
        @unknown default:
            return "\(error)"
        }
    }

    private static func jsonKind(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is UInt64.Type: return "a non-negative integer"
        case is [String].Type: return "an array of strings"
        default: return type is any Collection.Type ? "an array" : "an object"
        }
    }
}
