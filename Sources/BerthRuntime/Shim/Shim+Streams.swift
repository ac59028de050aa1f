import Glibc

extension Shim {
    /// Output from the init goes to the log and attached clients; from an exec, to its client.
    func readOutput(_ io: ProcessIO, fd: Int32, session: ExecSession?) {
        guard let stream = io.outputs.first(where: { $0.fd == fd }) else { return }
        let chunk: [UInt8]
        do {
            guard let read = try Descriptor.read(fd) else { return }
            chunk = read
        } catch {
            chunk = []  // EIO: the pty's last slave is gone
        }
        guard !chunk.isEmpty else {
            io.closeOutput(fd)
            return
        }
        if let session {
            if let client = session.client, !client.sendOutput(stream: stream.stream, chunk) { dropClient(client) }
            return
        }
        log?.write(chunk, stream: stream.name)
        for client in clients.values {
            guard case .attach(_, let stdout, let stderr) = client.role else { continue }
            guard stream.stream == 1 ? stdout : stderr else { continue }
            if !client.sendOutput(stream: stream.stream, chunk) { dropClient(client) }
        }
    }

    /// Whether to poll a client for reading: requests always; stdin only while the target keeps up.
    func wantsInput(from client: ControlClient) -> Bool {
        guard !client.readClosed else { return false }
        switch client.role {
        case .request: return true
        case .answered: return false
        case .attach: return (initIO?.pendingInput.count ?? 0) < 1 << 20
        case .exec(let session): return session.io.pendingInput.count < 1 << 20
        }
    }

    func readClient(_ client: ControlClient) {
        let chunk: [UInt8]
        do {
            guard let read = try Descriptor.read(client.fd) else { return }
            chunk = read
        } catch {
            dropClient(client)
            return
        }
        guard !chunk.isEmpty else {
            client.readClosed = true
            clientInputEnded(client)
            return
        }
        guard case .request = client.role else {
            routeInput(chunk, from: client)
            return
        }
        client.requestBuffer += chunk
        guard let newline = client.requestBuffer.firstIndex(of: 0x0A) else {
            if client.requestBuffer.count > ControlClient.maxRequest { dropClient(client) }
            return
        }
        let line = Array(client.requestBuffer[..<newline])
        let rest = Array(client.requestBuffer[(newline + 1)...])
        client.requestBuffer = []
        do {
            handle(try JSONLine.decode(ShimRequest.self, from: line), from: client)
        } catch {
            client.reply(ShimReply(ok: false, error: error.message))
            client.role = .answered
            client.closeWhenFlushed = true
        }
        if !rest.isEmpty { routeInput(rest, from: client) }
    }

    /// Bytes a client sent after its request: the container's or the exec's stdin.
    private func routeInput(_ bytes: [UInt8], from client: ControlClient) {
        switch client.role {
        case .attach(let stdin, _, _):
            guard stdin, let io = initIO, io.stdin != nil else { return }
            io.pendingInput.append(bytes)
            io.flushInput()
        case .exec(let session):
            guard session.io.stdin != nil else { return }
            session.io.pendingInput.append(bytes)
            session.io.flushInput()
        case .request, .answered:
            return
        }
    }

    /// The client half-closed: stdin end of file for an exec; for an attach only with stdinOnce
    /// (Docker closes a container's stdin when the first attached client detaches).
    private func clientInputEnded(_ client: ControlClient) {
        switch client.role {
        case .request:
            dropClient(client)
        case .attach(let stdin, _, _):
            if stdin && spec.process.stdinOnce, let io = initIO {
                io.closeInputWhenDrained = true
                io.flushInput()
            }
        case .exec(let session):
            session.io.closeInputWhenDrained = true
            session.io.flushInput()
        case .answered:
            return
        }
    }

    func writeClient(_ client: ControlClient) {
        guard client.flush() else {
            dropClient(client)
            return
        }
        if client.closeWhenFlushed && !client.hasPendingOutput {
            clients[client.fd] = nil
            Descriptor.close(client.fd)
        }
    }

    /// The client is gone (or too slow): forget it; stdinOnce applies as for a half-close.
    func dropClient(_ client: ControlClient) {
        guard clients[client.fd] === client else { return }
        clients[client.fd] = nil
        Descriptor.close(client.fd)
        if !client.readClosed {
            client.readClosed = true
            clientInputEnded(client)
        }
        if case .exec(let session) = client.role, session.client === client { session.client = nil }
    }

    /// Records an exec's exit in `execs/<id>.json`, then lets its client go.
    func finishExec(_ session: ExecSession) {
        guard execs[session.id] === session else { return }
        execs[session.id] = nil
        do {
            try bundle.writeExecState(ExecState(pid: session.pid, running: false, exitCode: session.exitCode),
                                      id: session.id)
        } catch {
            note("write exec state \(session.id): \(error.message)")
        }
        session.io.closeAll()
        if let client = session.client {
            client.role = .answered
            client.closeWhenFlushed = true
            writeClient(client)
        }
    }
}
