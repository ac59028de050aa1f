import CBerthSys
import Glibc

extension Shim {
    /// Answers one control request (see `ShimRequest`).
    func handle(_ request: ShimRequest, from client: ControlClient) {
        switch request {
        case .state:
            answer(client, ShimReply(ok: true, state: state))
        case .signal(let signal):
            guard initExitCode == nil, initPid > 0 else {
                return answer(client, ShimReply(ok: false, error: "container \(spec.id) is not running"))
            }
            guard kill(initPid, signal) == 0 else {
                return answer(client, ShimReply(ok: false, error: "kill \(initPid) with signal \(signal): \(errorString(errno))"))
            }
            answer(client, ShimReply(ok: true))
        case .resize(let height, let width):
            guard let master = initIO?.master else {
                return answer(client, ShimReply(ok: false, error: "container \(spec.id) has no terminal"))
            }
            answer(client, resize(master, height, width))
        case .resizeExec(let id, let height, let width):
            guard let master = execs[id]?.io.master else {
                return answer(client, ShimReply(ok: false, error: "no running exec \(id) with a terminal"))
            }
            answer(client, resize(master, height, width))
        case .signalExec(let id, let signal):
            // Only while the shim has not reaped it: the pid cannot have been reused.
            guard let session = execs[id], session.exitCode == nil else {
                return answer(client, ShimReply(ok: false, error: "no running exec \(id)"))
            }
            guard kill(session.pid, signal) == 0 else {
                return answer(client, ShimReply(ok: false, error: "kill exec \(id) with signal \(signal): \(errorString(errno))"))
            }
            answer(client, ShimReply(ok: true))
        case .attach(let stdin, let stdout, let stderr):
            client.raw = spec.process.terminal
            client.role = .attach(stdin: stdin && spec.process.openStdin, stdout: stdout, stderr: stderr)
            client.reply(ShimReply(ok: true, pid: initPid))
        case .exec(let id, let process):
            startExec(id: id, process: process, client: client)
        case .start:
            guard awaitingStart else { return answer(client, ShimReply(ok: false, error: "container \(spec.id) was already started")) }
            awaitingStart = false
            answer(client, ShimReply(ok: true))
        }
    }

    private func answer(_ client: ControlClient, _ reply: ShimReply) {
        client.reply(reply)
        client.role = .answered
        client.closeWhenFlushed = true
    }

    private func resize(_ fd: Int32, _ height: UInt16, _ width: UInt16) -> ShimReply {
        guard berth_set_winsize(fd, height, width) == 0 else {
            return ShimReply(ok: false, error: "resize: \(errorString(errno))")
        }
        return ShimReply(ok: true)
    }

    private func startExec(id: String, process: ProcessSpec, client: ControlClient) {
        guard Self.isValidExecID(id) else {
            return answer(client, ShimReply(ok: false, error: "invalid exec id \"\(id)\""))
        }
        guard execs[id] == nil, (try? bundle.loadExecState(id)) == nil else {
            return answer(client, ShimReply(ok: false, error: "exec \(id) already exists"))
        }
        guard initExitCode == nil, initPid > 0 else {
            return answer(client, ShimReply(ok: false, error: "container \(spec.id) is not running"))
        }
        let io: ProcessIO
        let pid: pid_t
        do {
            io = try ProcessIO(terminal: process.terminal, openStdin: process.openStdin)
            pid = try ProcessStarter.startExec(containerPid: initPid, process: process, io: io, spec: spec, cgroup: cgroup)
        } catch {
            let failure = (error as? StartFailure) ?? StartFailure(exitCode: 125, message: "\(error)")
            try? bundle.writeExecState(ExecState(pid: 0, running: false, exitCode: failure.exitCode), id: id)
            note("exec \(id) failed: \(failure.message)")
            return answer(client, ShimReply(ok: false, error: failure.message))
        }
        let session = ExecSession(id: id, pid: pid, io: io, client: client)
        execs[id] = session
        do {
            try bundle.writeExecState(ExecState(pid: pid, running: true, exitCode: nil), id: id)
        } catch {
            note("write exec state \(id): \(error.message)")
        }
        client.raw = process.terminal
        client.role = .exec(session)
        client.reply(ShimReply(ok: true, pid: pid))
        // The exec may already have exited while we set up; the loop reaps it.
        reapChildren()
    }

    /// Exec ids name files under execs/: letters, digits, `-`, `_`, `.`, not starting with `.`.
    static func isValidExecID(_ id: String) -> Bool {
        guard !id.isEmpty, id.utf8.count <= 128, !id.hasPrefix(".") else { return false }
        return id.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)) }
    }
}
