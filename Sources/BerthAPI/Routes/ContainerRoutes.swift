import BerthEngine
import BerthRuntime
import Foundation
import NIOCore

/// `/containers/...`: create, list, inspect, start, stop, restart, kill, wait, attach, logs,
/// remove, resize, rename, prune, pause, unpause, stats, top, update; files and commit in
/// `ContainerRoutes+Files`.
enum ContainerRoutes {
    static func handle(_ c: RouteContext) async throws -> Bool {
        let p = c.path
        switch (c.method, p) {
        case ("POST", "/containers/create"): try await create(c); return true
        case ("GET", "/containers/json"): try await list(c); return true
        case ("POST", "/containers/prune"): try await prune(c); return true
        case ("POST", "/commit"): try await commit(c); return true
        default: break
        }
        guard p.hasPrefix("/containers/") else { return false }
        let parts = p.dropFirst("/containers/".count).split(separator: "/", maxSplits: 1).map(String.init)
        guard let id = parts.first else { return false }
        let action = parts.count > 1 ? parts[1] : ""
        let e = c.engine
        switch (c.method, action) {
        case ("GET", "json"): try await c.json(try await ContainerJSON.inspect(e, id))
        case ("POST", "start"): try await c.noContent(try await e.startContainer(id) ? 204 : 304)
        case ("POST", "stop"): try await c.noContent(try await e.stopContainer(id, timeout: c.req.queryValue("t").flatMap { Int($0) }) ? 204 : 304)
        case ("POST", "restart"):
            _ = try await e.stopContainer(id, timeout: c.req.queryValue("t").flatMap { Int($0) })
            _ = try await e.startContainer(id)
            try await c.noContent()
        case ("POST", "kill"):
            try await e.killContainer(id, signal: c.req.queryValue("signal").flatMap { $0.isEmpty ? nil : $0 })
            try await c.noContent()
        case ("POST", "wait"): try await wait(c, id)
        case ("POST", "attach"): try await attach(c, id)
        case ("GET", "logs"): try await logs(c, id)
        case ("DELETE", ""):
            try await e.removeContainer(id, force: c.req.queryBool("force"), volumes: c.req.queryBool("v"))
            try await c.noContent()
        case ("POST", "resize"):
            guard let h = c.req.queryValue("h").flatMap(UInt16.init), let w = c.req.queryValue("w").flatMap(UInt16.init) else {
                throw APIError.badRequest("resize needs h and w (rows and columns)")
            }
            try await e.resize(id, height: h, width: w)
            try await c.w.respond(status: 200, headers: [], body: ByteBuffer())
        case ("POST", "exec"):
            var body = try await c.body.collect(upTo: 1 << 20)
            let data = Data(body.readBytes(length: body.readableBytes) ?? [])
            let keys = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["DetachKeys"] as? String ?? ""
            do { _ = try DetachKeys(parsing: keys) } catch { throw APIError.badRequest(error.description) }
            let id = try await e.createExec(id, body: data)
            try await c.json(["Id": id], status: 201)
        case ("POST", "pause"):
            try await e.pauseContainer(id)
            try await c.noContent()
        case ("POST", "unpause"):
            try await e.unpauseContainer(id)
            try await c.noContent()
        case ("GET", "stats"): try await stats(c, id)
        case ("GET", "top"):
            let list = try await e.top(id, psArgs: c.req.queryValue("ps_args"))
            try await c.json(["Titles": list.titles, "Processes": list.processes])
        case ("POST", "update"):
            var body = try await c.body.collect(upTo: 1 << 20)
            let warnings = try await e.updateContainer(id, body: Data(body.readBytes(length: body.readableBytes) ?? []))
            try await c.json(["Warnings": warnings])
        case ("POST", "rename"):
            guard let name = c.req.queryValue("name"), !name.isEmpty else { throw APIError.badRequest("rename needs name") }
            try await e.renameContainer(id, to: name)
            try await c.noContent()
        default:
            return try await files(c, id, action)
        }
        return true
    }

    static func create(_ c: RouteContext) async throws {
        var body = try await c.body.collect(upTo: 4 << 20)
        let data = Data(body.readBytes(length: body.readableBytes) ?? [])
        let (id, warnings) = try await c.engine.createContainer(name: c.req.queryValue("name"), body: data)
        try await c.json(["Id": id, "Warnings": warnings], status: 201)
    }

    static func list(_ c: RouteContext) async throws {
        let f = try c.filters()
        for k in f.keys where !["id", "name", "label", "status", "exited", "ancestor", "health"].contains(k) {
            throw APIError.badRequest("invalid filter '\(k)': containers accept id, name, label, status, exited, ancestor, health")
        }
        for v in f["health"] ?? [] where !["starting", "healthy", "unhealthy", "none"].contains(v) {
            throw APIError.badRequest("Unrecognised filter value for health: \(v) (use starting, healthy, unhealthy or none)")
        }
        let all = c.req.queryBool("all") || f["status"] != nil || f["exited"] != nil
        var rows: [(Date, [String: Any])] = []
        for r in await c.engine.containers.all() {
            let st = await c.engine.status(r)
            let s = st.state
            let status = st.name
            if !all && !st.running { continue }
            if let ids = f["id"], !ids.contains(where: { r.id.hasPrefix($0) }) { continue }
            if let names = f["name"], !names.contains(where: { r.name.contains($0.hasPrefix("/") ? String($0.dropFirst()) : $0) }) { continue }
            if let st = f["status"], !st.contains(status) { continue }
            if let ex = f["exited"], !(s.status == .exited && ex.contains(String(s.exitCode ?? 0))) { continue }
            if let health = f["health"], !health.contains(ContainerJSON.healthFilterValue(st)) { continue }
            if let labels = f["label"], !labels.allSatisfy({ ContainerJSON.hasLabel($0, r.config.Labels ?? [:]) }) { continue }
            if let anc = f["ancestor"], !anc.contains(where: { $0 == r.image || r.imageID.description.hasPrefix($0) || r.imageID.encoded.hasPrefix($0) }) { continue }
            rows.append((r.created, ContainerJSON.summary(r, st, c.engine)))
        }
        rows.sort { $0.0 > $1.0 }
        var out = rows.map(\.1)
        if let limit = c.req.queryValue("limit").flatMap({ Int($0) }), limit > 0 { out = Array(out.prefix(limit)) }
        try await c.json(out)
    }

    static func prune(_ c: RouteContext) async throws {
        let removed = await c.engine.pruneContainers()
        try await c.json(["ContainersDeleted": removed.isEmpty ? NSNull() : removed as Any, "SpaceReclaimed": 0])
    }

    /// Headers go out at once (the docker CLI waits for them before `start`); the body when the
    /// condition is met.
    static func wait(_ c: RouteContext, _ id: String) async throws {
        let condition = c.req.queryValue("condition")
        let record = try await c.engine.containers.find(id)
        if let cond = condition, !["", "not-running", "next-exit", "removed"].contains(cond) {
            throw APIError.badRequest("invalid condition: \"\(cond)\"")
        }
        try await c.w.writeHead(status: 200, headers: [("Content-Type", "application/json")])
        let code = try await c.engine.waitContainer(record.id, condition: condition)
        let err = c.engine.state(record.id).error
        let body: [String: Any] = ["StatusCode": code, "Error": err.map { ["Message": $0] as Any } ?? NSNull()]
        var data = try JSONText.data(body)
        data.append(0x0a)
        try await c.w.write(ByteBuffer(bytes: data))
        try await c.w.end()
    }

    /// Hijacks the connection and splices it to the shim's attach stream.
    static func attach(_ c: RouteContext, _ id: String) async throws {
        let record = try await c.engine.containers.find(id)
        let stdin = c.req.queryBool("stdin"), stdout = c.req.queryBool("stdout"), stderr = c.req.queryBool("stderr")
        let keys: DetachKeys
        do { keys = try DetachKeys(parsing: c.req.queryValue("detachKeys") ?? "") } catch { throw APIError.badRequest(error.description) }
        // Docker watches for the sequence on terminals only; without one, stdin is bytes.
        let detachKeys = record.tty ? keys : nil
        let closeStdinAtEOF = (record.config.StdinOnce ?? false) && !record.tty
        let contentType = record.tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream"
        let (inbound, outbound) = try await c.w.hijack(headers: [("Content-Type", contentType)])
        let attached = try await c.engine.attach(record.id, stdin: stdin, stdout: stdout, stderr: stderr, waitForStart: true) { stream in
            if try await Splice.run(&stream, inbound: inbound, outbound: outbound, forwardStdin: stdin,
                                    closeStdinAtEOF: closeStdinAtEOF, detachKeys: detachKeys) == .detached {
                await c.engine.noteDetach(record.id)
            }
        }
        if !attached { try? await outbound.closeWrite() }
    }

    static func logs(_ c: RouteContext, _ id: String) async throws {
        var q = Engine.LogQuery()
        q.stdout = c.req.queryBool("stdout")
        q.stderr = c.req.queryBool("stderr")
        guard q.stdout || q.stderr else { throw APIError.badRequest("Bad parameters: you must choose at least one stream") }
        q.follow = c.req.queryBool("follow")
        if let t = c.req.queryValue("tail"), t != "all", !t.isEmpty {
            guard let n = Int(t) else { throw APIError.badRequest("invalid tail \(t): a number or all") }
            q.tail = n
        }
        q.since = try c.req.queryValue("since").flatMap(parseTime)
        q.until = try c.req.queryValue("until").flatMap(parseTime)
        let timestamps = c.req.queryBool("timestamps")
        let (record, entries) = try await c.engine.logs(id, q)
        let type = record.tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream"
        try await c.w.writeHead(status: 200, headers: c.atLeast("1.42") ? [("Content-Type", type)] : [])
        for await e in entries {
            var payload = ByteBuffer()
            if timestamps { payload.writeString(e.time + " ") }
            payload.writeBytes(e.log)
            if record.tty {
                try await c.w.write(payload)
            } else {
                var frame = ByteBuffer()
                frame.writeInteger(UInt8(e.stream == "stderr" ? 2 : 1))
                frame.writeBytes([0, 0, 0])
                frame.writeInteger(UInt32(payload.readableBytes))
                frame.writeBuffer(&payload)
                try await c.w.write(frame)
            }
        }
        try await c.w.end()
    }

    /// Unix seconds (with fraction) or RFC 3339, as `--since`/`--until` send them.
    static func parseTime(_ s: String) throws -> Date? {
        if s.isEmpty || s == "0" { return nil }
        if let d = Double(s) { return Date(timeIntervalSince1970: d) }
        if let d = GoTime.parse(s) { return d }
        throw APIError.badRequest("invalid time \(s): unix seconds or RFC 3339")
    }
}
