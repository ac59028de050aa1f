import BerthRuntime
import Foundation

/// An exec created with `POST /containers/{id}/exec`, until its container goes.
public struct ExecRecord: Sendable {
    public let id: String
    public let containerID: String
    public let process: ProcessSpec
    public let attachStdin: Bool
    public let attachStdout: Bool
    public let attachStderr: Bool
    /// Docker's `DetachKeys` as the client gave it ("" for the default); the API checks it.
    public let detachKeys: String
}

/// Execs by id (Docker keeps them in memory too).
actor ExecStore {
    private var execs: [String: ExecRecord] = [:]
    func add(_ e: ExecRecord) { execs[e.id] = e }
    func get(_ id: String) throws(EngineError) -> ExecRecord {
        guard let e = execs[id] else { throw EngineError(.notFound, "No such exec instance: \(id)") }
        return e
    }
    /// Forgets a removed container's execs.
    func removeAll(of container: String) { execs = execs.filter { $0.value.containerID != container } }
}

extension Engine {
    /// Docker's exec create body.
    struct ExecBody: Decodable {
        var User: String?
        var Privileged: Bool?
        var Tty: Bool?
        var AttachStdin: Bool?
        var AttachStdout: Bool?
        var AttachStderr: Bool?
        var Env: [String]?
        var WorkingDir: String?
        var Cmd: [String]?
        var DetachKeys: String?
    }

    /// `POST /containers/{id}/exec`.
    public func createExec(_ ref: String, body: Data) async throws -> String {
        let r = try await containers.find(ref)
        try await requireActive(r)
        let b: ExecBody
        do { b = try JSONDecoder().decode(ExecBody.self, from: body) } catch { throw EngineError(.invalid, "malformed exec config: \(error)") }
        guard let cmd = b.Cmd, !cmd.isEmpty else { throw EngineError(.invalid, "No exec command specified") }
        var process = try execProcess(r, cmd, env: b.Env ?? [], user: b.User ?? "", workingDir: b.WorkingDir ?? "",
                                      privileged: b.Privileged ?? false)
        process.terminal = b.Tty ?? false
        process.openStdin = b.AttachStdin ?? false
        let id = Self.randomID()
        await execs.add(ExecRecord(id: id, containerID: r.id, process: process, attachStdin: b.AttachStdin ?? false,
                                   attachStdout: b.AttachStdout ?? true, attachStderr: b.AttachStderr ?? true,
                                   detachKeys: b.DetachKeys ?? ""))
        await emit("exec_create: " + cmd.joined(separator: " "), r, ["execID": id])
        return id
    }

    /// A process to run beside the container's init: its env, user, directory and security
    /// settings unless overridden.
    func execProcess(_ r: ContainerRecord, _ cmd: [String], env extra: [String] = [], user: String = "", workingDir: String = "",
                     privileged: Bool = false) throws -> ProcessSpec {
        let spec = try JSONDecoder().decode(ContainerSpec.self, from: Data(contentsOf: URL(fileURLWithPath: "\(containers.bundle(r.id))/spec.json")))
        var env = spec.process.env
        for e in extra {
            let key = e.split(separator: "=", maxSplits: 1).first.map(String.init) ?? e
            env.removeAll { $0.hasPrefix(key + "=") }
            env.append(e)
        }
        var process = ProcessSpec(args: cmd, env: env, cwd: workingDir.isEmpty ? spec.process.cwd : workingDir,
                                  user: user.isEmpty ? spec.process.user : user,
                                  capabilities: privileged ? Defaults.allCapabilities : spec.process.capabilities)
        process.stdinOnce = true
        process.noNewPrivileges = spec.process.noNewPrivileges
        process.additionalGroups = spec.process.additionalGroups
        return process
    }

    /// 64 hex digits, as Docker's container and exec ids.
    static func randomID() -> String {
        (0..<4).map { _ in String(format: "%016llx", UInt64.random(in: 0...UInt64.max)) }.joined()
    }

    /// `POST /exec/{id}/start`: asks the shim to run it and runs `body` with its stream.
    public func startExec(_ id: String, _ body: (ExecRecord, inout ShimClient.Stream) async throws -> Void) async throws {
        let e = try await execs.get(id)
        let r = try await containers.find(e.containerID)
        try await requireActive(r)
        try await shim(e.containerID).withSession(.exec(id: id, process: e.process)) { reply, stream in
            guard reply.ok else { throw EngineError(.invalid, "OCI runtime exec failed: \(reply.error ?? "exec failed"): unknown") }
            await emit("exec_start: " + e.process.args.joined(separator: " "), r, ["execID": id])
            try await body(e, &stream)
        }
        // The stream ends when the process has exited, unless the client detached.
        if let state = try? await inspectExec(id).1, !state.running {
            await emit("exec_die", r, ["execID": id, "exitCode": "\(state.exitCode ?? -1)"])
        }
    }

    /// Docker's check before an exec: running, neither restarting nor paused (an exec would
    /// join the frozen cgroup and hang).
    func requireActive(_ r: ContainerRecord) async throws {
        try await requireRunning(r)
        if r.paused == true { throw EngineError(.conflict, "Container \(r.id) is paused, unpause the container before exec") }
    }

    /// The exec's record, for choosing the stream type before it starts.
    public func exec(_ id: String) async throws -> ExecRecord { try await execs.get(id) }

    /// `GET /exec/{id}/json`: the record and, once the shim wrote it, the outcome.
    public func inspectExec(_ id: String) async throws -> (ExecRecord, ExecState?) {
        let e = try await execs.get(id)
        let path = "\(containers.bundle(e.containerID))/execs/\(id).json"
        let state = FileManager.default.contents(atPath: path).flatMap { try? JSONDecoder().decode(ExecState.self, from: $0) }
        return (e, state)
    }

    public func resizeExec(_ id: String, height: UInt16, width: UInt16) async throws {
        let e = try await execs.get(id)
        _ = try await shim(e.containerID).call(.resizeExec(id: id, height: height, width: width))
    }
}
