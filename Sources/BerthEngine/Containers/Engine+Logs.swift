import Foundation

/// One line of a json-file log.
public struct LogEntry: Sendable {
    public let stream: String
    /// RFC 3339 with nanoseconds, as written.
    public let time: String
    public let log: Data
}

extension Engine {
    /// What `logs` asks for.
    public struct LogQuery: Sendable {
        public var stdout = true
        public var stderr = true
        public var follow = false
        /// Last n lines (nil: all).
        public var tail: Int?
        public var since: Date?
        public var until: Date?
        public init() {}
    }

    /// Streams a container's log entries per `query`; with `follow`, keeps streaming until the
    /// container stops (or the consumer goes away).
    public func logs(_ ref: String, _ query: LogQuery) async throws -> (ContainerRecord, AsyncStream<LogEntry>) {
        let r = try await containers.find(ref)
        let path = logPath(r.id)
        let (stream, sink) = AsyncStream.makeStream(of: LogEntry.self)
        let task = Task {
            defer { sink.finish() }
            // Rotated files first, oldest (highest number) first.
            let rotated = (1...64).map { "\(path).\($0)" }.filter { FileManager.default.fileExists(atPath: $0) }.reversed()
            var entries: [LogEntry] = []
            for f in rotated { entries += Self.parseLog(FileManager.default.contents(atPath: f) ?? Data()) }
            let tailFile = LogTail(path: path)
            entries += tailFile.read()
            entries = entries.filter { Self.matches($0, query) }
            if let n = query.tail { entries = Array(entries.suffix(max(0, n))) }
            for e in entries { sink.yield(e) }
            guard query.follow else { return }
            while !Task.isCancelled {
                let running = await self.events.isRunning(r.id)
                for e in tailFile.read() where Self.matches(e, query) { sink.yield(e) }
                if !running { return }
                try? await Task.sleep(nanoseconds: 100_000_000)
            }
        }
        sink.onTermination = { _ in task.cancel() }
        return (r, stream)
    }

    static func matches(_ e: LogEntry, _ q: LogQuery) -> Bool {
        if e.stream == "stdout" && !q.stdout { return false }
        if e.stream == "stderr" && !q.stderr { return false }
        if q.since != nil || q.until != nil, let t = GoTime.parse(e.time) {
            if let s = q.since, t < s { return false }
            if let u = q.until, t > u { return false }
        }
        return true
    }

    static func parseLog(_ data: Data) -> [LogEntry] {
        data.split(separator: 0x0a).compactMap(parseLine)
    }

    static func parseLine(_ line: Data) -> LogEntry? {
        guard let obj = try? JSONSerialization.jsonObject(with: line) as? [String: Any], let log = obj["log"] as? String else { return nil }
        return LogEntry(stream: obj["stream"] as? String ?? "stdout", time: obj["time"] as? String ?? "", log: Data(log.utf8))
    }
}

/// Reads new complete lines from the live log. It keeps the file open, so lines written just
/// before the container is removed (its bundle deleted: docker-py's `run(remove=True)` removes
/// before it reads the followed logs) or before a rotation are still read; after a rotation
/// (the path names a new file) it drains the old one, then moves on.
final class LogTail {
    let path: String
    private var fd: Int32 = -1
    private var inode: UInt64 = 0
    private var offset: off_t = 0
    private var pending = Data()

    init(path: String) { self.path = path }

    deinit { if fd >= 0 { close(fd) } }

    func read() -> [LogEntry] {
        var out = drain()
        var st = stat()
        if stat(path, &st) == 0, fd < 0 || UInt64(st.st_ino) != inode {
            let next = open(path, O_RDONLY | O_CLOEXEC)
            if next >= 0 {
                if fd >= 0 { close(fd) }
                fd = next
                inode = UInt64(st.st_ino)
                offset = 0
                pending = Data()
                out += drain()
            }
        }
        return out
    }

    /// The complete lines added to the open file since the last read.
    private func drain() -> [LogEntry] {
        guard fd >= 0 else { return [] }
        var st = stat()
        if fstat(fd, &st) == 0, st.st_size < offset {
            offset = 0
            pending = Data()
        }
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = pread(fd, &buf, buf.count, offset)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            pending.append(contentsOf: buf[0..<n])
            offset += off_t(n)
        }
        guard let lastNL = pending.lastIndex(of: 0x0a) else { return [] }
        let complete = Data(pending[pending.startIndex...lastNL])
        pending = Data(pending[pending.index(after: lastNL)...])
        return Engine.parseLog(complete)
    }
}
