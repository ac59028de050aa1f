import Glibc

/// Why a container process could not be started, with Docker's exit code for it
/// (127 command not found, 126 command cannot be invoked, 125 anything else).
public struct StartFailure: Error, Sendable, Equatable {
    public var exitCode: Int32
    public var message: String

    public init(exitCode: Int32, message: String) {
        self.exitCode = exitCode
        self.message = message
    }

    /// A setup step failed (mounts, user, capabilities, …): 125.
    init(_ error: RuntimeError) {
        self.init(exitCode: 125, message: error.message)
    }

    /// execve(2) itself failed for the program at `name`.
    static func execve(_ name: String, errno err: Int32) -> StartFailure {
        let text = "exec: \"\(name)\": \(errorString(err))"
        switch err {
        case ENOENT, ENOTDIR: return StartFailure(exitCode: 127, message: text)
        case EACCES, EPERM, EISDIR, ENOEXEC: return StartFailure(exitCode: 126, message: text)
        default: return StartFailure(exitCode: 125, message: text)
        }
    }

    /// The bytes the child writes on its error pipe: `<code> <message>`.
    var wireFormat: [UInt8] { Array("\(exitCode) \(message)".utf8) }

    /// Parses what came through the error pipe (nil for an empty pipe: exec succeeded).
    init?(wire: [UInt8]) {
        guard !wire.isEmpty else { return nil }
        let text = String(decoding: wire, as: UTF8.self)
        let parts = text.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
        if let code = Int32(parts[0]), parts.count == 2 {
            self.init(exitCode: code, message: String(parts[1]))
        } else {
            self.init(exitCode: 125, message: text)
        }
    }
}
