import BerthAPI
import Foundation
import Glibc
import Synchronization

/// A hijacked attach connection pumped to this terminal: output demultiplexed to stdout and
/// stderr (raw for a tty), stdin forwarded when asked, the terminal in raw mode for `-t`.
/// On a terminal, typing the detach keys ends the attach and leaves the process running.
final class AttachStream: @unchecked Sendable {
    // The connection is used by one reader thread and one writer thread, which the
    // HijackedConnection supports; the detach flag is atomic; nothing else is shared.
    let connection: HijackedConnection
    let tty: Bool
    /// Watched for in stdin when on a terminal.
    var detachKeys: DetachKeys?
    private let detachedFlag = Atomic<Bool>(false)

    /// The user typed the detach keys.
    var detached: Bool { detachedFlag.load(ordering: .acquiring) }

    /// A container's attach stream; `detachKeys` as the user gave them (nil: the default).
    convenience init(socketPath: String, id: String, stdin: Bool, tty: Bool, detachKeys: String? = nil) throws {
        var query = [("stream", "1"), ("stdout", "1"), ("stderr", "1")]
        if stdin { query.append(("stdin", "1")) }
        if let detachKeys { query.append(("detachKeys", detachKeys)) }
        try self.init(socketPath: socketPath, path: "/containers/\(id)/attach", query: query, body: nil, tty: tty)
        if tty && stdin { self.detachKeys = try Self.keys(detachKeys) }
    }

    /// `--detach-keys` checked before anything is sent (the default when nil).
    static func keys(_ spec: String?, exitCode: Int32 = 1) throws -> DetachKeys {
        do { return try DetachKeys(parsing: spec ?? "") } catch { throw CLIError(error.description, exitCode: exitCode) }
    }

    /// Any hijacked endpoint (attach, exec start).
    init(socketPath: String, path: String, query: [(String, String)], body: Data?, tty: Bool) throws {
        let client = try UnixHTTPClient(socketPath: socketPath)
        var headers = [("Connection", "Upgrade"), ("Upgrade", "tcp")]
        if body != nil { headers.append(("Content-Type", "application/json")) }
        let resp = try client.send(method: "POST", path: "/v\(APIVersion.current)\(path)", query: query,
                                   headers: headers, body: body.map { .data($0) } ?? .none)
        guard resp.status == 101 || resp.status == 200 else {
            let msg = (try? resp.readAll()).map { String(decoding: $0, as: UTF8.self) } ?? ""
            throw CLIError("Error response from daemon: attach failed (\(resp.status)): \(msg)")
        }
        connection = try resp.hijack()
        self.tty = tty
    }

    /// Sends this process's stdin until EOF, then half-closes; on the detach keys, closes the
    /// connection instead (the output pump then returns).
    func forwardStdin() {
        Thread.detachNewThread { [self] in
            var scanner = detachKeys.map(DetachScanner.init)
            var buf = [UInt8](repeating: 0, count: 32768)
            while true {
                let n = read(0, &buf, buf.count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                var bytes = Array(buf[0..<n])
                var detach = false
                if scanner != nil { (bytes, detach) = scanner!.scan(bytes) }
                if !bytes.isEmpty {
                    do { try connection.write(Data(bytes)) } catch { break }
                }
                if detach {
                    detachedFlag.store(true, ordering: .releasing)
                    connection.close()
                    return
                }
            }
            try? connection.closeWrite()
        }
    }

    /// Copies output until the daemon closes the stream.
    func pumpOutput() {
        var pending = Data()
        while let chunk = try? connection.read(), !chunk.isEmpty {
            if tty {
                FileHandle.standardOutput.write(chunk)
                continue
            }
            pending.append(chunk)
            while pending.count >= 8 {
                let size = Int(pending[pending.startIndex + 4]) << 24 | Int(pending[pending.startIndex + 5]) << 16
                    | Int(pending[pending.startIndex + 6]) << 8 | Int(pending[pending.startIndex + 7])
                guard pending.count >= 8 + size else { break }
                let payload = pending.subdata(in: (pending.startIndex + 8)..<(pending.startIndex + 8 + size))
                (pending[pending.startIndex] == 2 ? FileHandle.standardError : FileHandle.standardOutput).write(payload)
                pending = Data(pending.dropFirst(8 + size))
            }
        }
    }
}

/// Raw mode for `-it`, restored on exit.
struct TerminalMode {
    var saved = termios()
    var active = false

    mutating func makeRaw() {
        guard isatty(0) != 0, tcgetattr(0, &saved) == 0 else { return }
        var raw = saved
        cfmakeraw(&raw)
        tcsetattr(0, TCSANOW, &raw)
        active = true
    }

    mutating func restore() {
        if active { tcsetattr(0, TCSANOW, &saved) }
        active = false
    }

    static func size() -> (UInt16, UInt16)? {
        var ws = winsize()
        guard ioctl(1, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_row > 0 else { return nil }
        return (ws.ws_row, ws.ws_col)
    }
}
