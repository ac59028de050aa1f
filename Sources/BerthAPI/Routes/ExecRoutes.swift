import BerthEngine
import Foundation
import NIOCore

/// `/exec/{id}/start|json|resize`.
enum ExecRoutes {
    static func handle(_ c: RouteContext) async throws -> Bool {
        guard c.path.hasPrefix("/exec/") else { return false }
        let parts = c.path.dropFirst("/exec/".count).split(separator: "/").map(String.init)
        guard parts.count == 2 else { return false }
        let id = parts[0]
        switch (c.method, parts[1]) {
        case ("POST", "start"): try await start(c, id)
        case ("GET", "json"): try await c.json(try await inspect(c, id))
        case ("POST", "resize"):
            guard let h = c.req.queryValue("h").flatMap(UInt16.init), let w = c.req.queryValue("w").flatMap(UInt16.init) else {
                throw APIError.badRequest("resize needs h and w")
            }
            try await c.engine.resizeExec(id, height: h, width: w)
            try await c.w.respond(status: 200, headers: [], body: ByteBuffer())
        default: return false
        }
        return true
    }

    static func start(_ c: RouteContext, _ id: String) async throws {
        var body = try await c.body.collect(upTo: 1 << 16)
        let opts = (try? JSONSerialization.jsonObject(with: Data(body.readBytes(length: body.readableBytes) ?? [])) as? [String: Any]) ?? [:]
        let exec = try await c.engine.exec(id)
        let engine = c.engine
        if opts["Detach"] as? Bool == true {
            // Nobody listens: the output is drained so the process never blocks on a full pipe.
            Task {
                try? await engine.startExec(id) { _, stream in
                    await stream.closeStdin()
                    while try await stream.next() != nil {}
                }
            }
            try await c.w.respond(status: 200, headers: [], body: ByteBuffer())
            return
        }
        let type = exec.process.terminal ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream"
        let (inbound, outbound) = try await c.w.hijack(headers: [("Content-Type", type)])
        let tty = exec.process.terminal
        // Checked when the exec was created.
        let keys = tty ? ((try? DetachKeys(parsing: exec.detachKeys)) ?? .standard) : nil
        try await engine.startExec(id) { exec, stream in
            try await Splice.run(&stream, inbound: inbound, outbound: outbound, forwardStdin: exec.attachStdin,
                                 closeStdinAtEOF: !tty, detachKeys: keys)
        }
    }

    static func inspect(_ c: RouteContext, _ id: String) async throws -> [String: Any] {
        let (e, state) = try await c.engine.inspectExec(id)
        return [
            "ID": e.id, "Running": state?.running ?? true, "ExitCode": state?.exitCode.map { Int($0) as Any } ?? NSNull(),
            "ProcessConfig": ["tty": e.process.terminal, "entrypoint": e.process.args.first ?? "", "arguments": Array(e.process.args.dropFirst()),
                              "privileged": false, "user": e.process.user],
            "OpenStdin": e.attachStdin, "OpenStderr": e.attachStderr, "OpenStdout": e.attachStdout, "CanRemove": false,
            "ContainerID": e.containerID, "DetachKeys": e.detachKeys, "Pid": Int(state?.pid ?? 0),
        ]
    }
}
