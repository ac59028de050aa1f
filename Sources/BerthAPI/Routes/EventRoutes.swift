import BerthEngine
import Foundation
import NIOCore

/// `GET /events`: past events from `since` (those the engine still keeps), then live ones until
/// `until` or the client leaves; newline-delimited JSON in Docker's message shape.
enum EventRoutes {
    static func handle(_ c: RouteContext) async throws -> Bool {
        guard c.method == "GET", c.path == "/events" else { return false }
        let filter: EventFilter
        do { filter = try EventFilter(try c.filters()) } catch let e as EventFilterError { throw APIError.badRequest(e.description) }
        let since = try c.req.queryValue("since").flatMap(ContainerRoutes.parseTime).map(nanoseconds)
        let until = try c.req.queryValue("until").flatMap(ContainerRoutes.parseTime).map(nanoseconds)
        if let since, let until, since > until {
            throw APIError.badRequest("`since` time (\(since)) cannot be after `until` time (\(until))")
        }
        // Docker replays the kept events when either bound is given.
        let (past, live, token) = await c.engine.eventLog.subscribe(since: since ?? (until != nil ? 0 : nil))
        let log = c.engine.eventLog
        try await c.w.writeHead(status: 200, headers: [("Content-Type", "application/json")])
        do {
            for e in past where until.map({ e.timeNano <= $0 }) ?? true && filter.includes(e) { try await write(e, c) }
            let now = nanoseconds(Date())
            if let until, until <= now {
                await log.unsubscribe(token)
            } else {
                // Ends the live stream at `until`, even when nothing happens.
                let timer = until.map { u in
                    Task {
                        try await Task.sleep(nanoseconds: UInt64(u - now))
                        await log.unsubscribe(token)
                    }
                }
                defer { timer?.cancel() }
                for await e in live {
                    if let until, e.timeNano > until { break }
                    if filter.includes(e) { try await write(e, c) }
                }
            }
        } catch {
            await log.unsubscribe(token)
            throw error
        }
        await log.unsubscribe(token)
        try await c.w.end()
        return true
    }

    static func nanoseconds(_ d: Date) -> Int64 { Int64((d.timeIntervalSince1970 * 1e9).rounded()) }

    static func write(_ e: Event, _ c: RouteContext) async throws {
        var m: [String: Any] = [
            "Type": e.type, "Action": e.action, "Actor": ["ID": e.actorID, "Attributes": e.attributes],
            "scope": "local", "time": e.timeNano / 1_000_000_000, "timeNano": e.timeNano,
        ]
        // The pre-1.22 fields, which docker-py and older clients still read.
        if e.type == "container" || e.type == "image" {
            m["status"] = e.action
            m["id"] = e.actorID
            if e.type == "container", let image = e.attributes["image"] { m["from"] = image }
        }
        var data = try JSONText.data(m)
        data.append(0x0a)
        try await c.w.write(ByteBuffer(bytes: data))
    }
}
