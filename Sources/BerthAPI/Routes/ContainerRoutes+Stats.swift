import BerthEngine
import Foundation
import NIOCore

extension ContainerRoutes {
    /// `GET /containers/{id}/stats?stream=&one-shot=`. Streaming (the default): one object per
    /// second until the client goes or the container stops. `stream=0`: one object, with CPU
    /// deltas over a second (the docker CLI's CPU %) unless `one-shot=1` asks for it at once.
    static func stats(_ c: RouteContext, _ ref: String) async throws {
        let e = c.engine
        let r = try await e.containers.find(ref)
        let stream = c.req.queryValue("stream") == nil || c.req.queryBool("stream")
        if !stream {
            try await c.json(await single(e, r, oneShot: c.atLeast("1.41") && c.req.queryBool("one-shot")))
            return
        }
        try await c.w.writeHead(status: 200, headers: [("Content-Type", "application/json")])
        var previous: StatsSample?
        while let sample = await e.statsSample(r) {
            try await c.w.write(line(StatsJSON.object(r, sample, previous: previous)))
            previous = sample
            try await Task.sleep(for: .seconds(1))
        }
        if previous == nil { try await c.w.write(line(StatsJSON.empty(r))) }
        try await c.w.end()
    }

    /// One object: two readings a second apart, or one for `one-shot`.
    static func single(_ e: Engine, _ r: ContainerRecord, oneShot: Bool) async -> [String: Any] {
        guard let first = await e.statsSample(r) else { return StatsJSON.empty(r) }
        if oneShot { return StatsJSON.object(r, first, previous: nil) }
        try? await Task.sleep(for: .seconds(1))
        guard let second = await e.statsSample(r) else { return StatsJSON.empty(r) }
        return StatsJSON.object(r, second, previous: first)
    }

    /// A JSON object and a newline, as Go's encoder writes them.
    static func line(_ object: [String: Any]) throws -> ByteBuffer {
        var data = try JSONText.data(object)
        data.append(0x0a)
        return ByteBuffer(bytes: data)
    }
}
