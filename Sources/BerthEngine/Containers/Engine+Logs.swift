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
            var tailFile = LogTail(path: path)
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

/// Reads new complete lines from the live log, following a rotation (file replaced or shrunk).
struct LogTail {
    let path: String
    var offset: UInt64 = 0
    var inode: UInt64 = 0

    init(path: String) { self.path = path }

    mutating func read() -> [LogEntry] {
        var st = stat()
        guard stat(path, &st) == 0 else { return [] }
        if UInt64(st.st_ino) != inode || UInt64(st.st_size) < offset {
            inode = UInt64(st.st_ino)
            offset = 0
        }
        guard UInt64(st.st_size) > offset, let h = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? h.close() }
        try? h.seek(toOffset: offset)
        let data = (try? h.readToEnd()) ?? Data()
        guard let lastNL = data.lastIndex(of: 0x0a) else { return [] }
        let complete = data[data.startIndex...lastNL]
        offset += UInt64(complete.count)
        return Engine.parseLog(Data(complete))
    }
}
