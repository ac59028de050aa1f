import BerthRuntime
import BerthStore
import Foundation
import Glibc

extension Engine {
    /// The shim's last report, or `created` when the container never started.
    public func state(_ id: String) -> ContainerState {
        let path = "\(containers.bundle(id))/state.json"
        if let data = FileManager.default.contents(atPath: path), let s = try? JSONDecoder().decode(ContainerState.self, from: data) {
            return s
        }
        return ContainerState(status: .created, pid: 0, shimPid: 0)
    }

    /// Watches a running container through a stream-less attach; the shim closes it at exit.
    func watch(_ id: String) {
        let client = shim(id)
        Task {
            await client.waitForExit()
            await self.handleExit(id)
        }
    }

    /// After the shim reported an exit (or vanished): record it, restart it per its policy
    /// (not when `restart` is false: a start that failed), announce it, apply --rm.
    func handleExit(_ id: String, restart: Bool = true) async {
        var s = state(id)
        if s.status == .running || s.status == .paused {
            // The shim died without recording an exit (a crash, a reboot): what is left of the
            // container is killed through its cgroup, not by the recorded pid, which after a
            // reboot may be another process's. Docker shows such a container as killed.
            if let cgroup = try? openCgroup(id) { _ = try? await Blocking.run { try cgroup.destroy() } }
            s.status = .exited
            s.exitCode = 137
            s.finishedAt = GoTime.format(Date())
            s.error = "the container's shim (pid \(s.shimPid)) exited unexpectedly"
            s.pid = 0
            if let data = try? JSONEncoder().encode(s) {
                try? FileSystem.writeAtomically(data, to: "\(containers.bundle(id))/state.json")
            }
        }
        unlink(shimSocket(id))
        await disconnectNetworks(id)
        await stopHealthMonitor(id)
        if s.oomKilled { await emit("oom", container: id) }
        await emit("die", container: id, ["exitCode": "\(s.exitCode ?? 0)"])
        let record = try? await containers.find(id)
        if let record, record.paused == true { await unpauseForStop(record) }
        if restart, let record, await scheduleRestart(record, exit: s) {
            await events.exited(id, code: s.exitCode ?? 0)
            return
        }
        await events.exited(id, code: s.exitCode ?? 0)
        if let r = try? await containers.find(id), r.hostConfig.AutoRemove == true {
            // Docker's --rm removes the container's anonymous volumes too.
            await forget(r, removeAnonymousVolumes: true)
        }
    }

    /// Re-adopts containers after a berthd restart: live shims are watched again; containers whose
    /// shim is gone (crash, reboot) are reconciled to exited, then started again when their
    /// restart policy says so.
    func adoptContainers() async {
        for r in await containers.all() {
            let s = state(r.id)
            switch s.status {
            case .running, .paused:
                if (try? await shim(r.id).call(.state)) != nil {
                    await events.started(r.id)
                    await reconcilePaused(r)
                    watch(r.id)
                    if (try? await containers.find(r.id))?.paused != true { await startHealthMonitor(r.id) }
                } else {
                    await handleExit(r.id, restart: false)
                }
            case .exited:
                await events.exited(r.id, code: s.exitCode ?? 0)
            case .created:
                break
            }
        }
        await restartAfterBoot()
    }

    /// `stop`: the stop signal, then SIGKILL after `timeout` seconds. False if it was not running (304).
    /// A paused container is thawed first; a restarting one stays stopped; neither restarts.
    public func stopContainer(_ ref: String, timeout: Int?) async throws -> Bool {
        let r = try await containers.find(ref)
        if await isRestarting(r.id) {
            await markManuallyStopped(r, cancel: true)
            // A restart already starting it has now: that run is stopped below.
            if !(await events.isRunning(r.id)) { return true }
        }
        guard await events.isRunning(r.id) else { return false }
        await markManuallyStopped(r, cancel: true)
        await unpauseForStop(r)
        let grace = timeout ?? r.config.StopTimeout ?? 10
        let sig = try Signals.parse(r.config.StopSignal ?? "SIGTERM")
        await emit("kill", r, ["signal": "\(sig)"])
        _ = try? await shim(r.id).call(.signal(sig))
        let stoppedInTime = grace > 0 ? await waitStopped(r.id, seconds: Double(grace)) : false
        if !stoppedInTime {
            await emit("kill", r, ["signal": "\(SIGKILL)"])
            _ = try? await shim(r.id).call(.signal(SIGKILL))
            _ = await waitStopped(r.id, seconds: 30)
        }
        await emit("stop", r)
        return true
    }

    /// True when the container stopped within `seconds`. Polls: a continuation-based wait
    /// cannot be cancelled when the grace period runs out.
    func waitStopped(_ id: String, seconds: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while await events.isRunning(id) {
            if Date() >= deadline { return false }
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        return true
    }

    /// `kill -s`. As in Docker, any signal marks the container manually stopped; the stop
    /// signal or SIGKILL also ends automatic restarts and thaws a paused container.
    public func killContainer(_ ref: String, signal: String?) async throws {
        let r = try await containers.find(ref)
        let sig = try Signals.parse(signal ?? "KILL")
        let exitOnNext = sig == SIGKILL || sig == (try? Signals.parse(r.config.StopSignal ?? "SIGTERM"))
        if await isRestarting(r.id) {
            await markManuallyStopped(r, cancel: exitOnNext)
            if !(await events.isRunning(r.id)) { return }
        }
        guard await events.isRunning(r.id) else {
            throw EngineError(.conflict, "Cannot kill container: \(ref): Container \(r.id) is not running")
        }
        await markManuallyStopped(r, cancel: exitOnNext)
        await emit("kill", r, ["signal": "\(sig)"])
        _ = try await shim(r.id).call(.signal(sig))
        if exitOnNext { await unpauseForStop(r) }
    }

    /// `rm`: refuses a running container unless `force`, which kills it first; `volumes` (`-v`)
    /// removes its anonymous volumes that no other container uses.
    public func removeContainer(_ ref: String, force: Bool, volumes removeVolumes: Bool = false) async throws {
        let r = try await containers.find(ref)
        let restarting = await isRestarting(r.id)
        let running = await events.isRunning(r.id)
        if restarting || running {
            guard force else {
                if r.paused == true {
                    throw EngineError(.conflict, "cannot remove container \"/\(r.name)\": container is paused and must be unpaused first")
                }
                throw EngineError(.conflict, "cannot remove container \"/\(r.name)\": container is \(restarting ? "restarting" : "running"): stop the container before removing or force remove")
            }
            await markManuallyStopped(r, cancel: true)
            if await events.isRunning(r.id) {
                _ = try? await shim(r.id).call(.signal(SIGKILL))
                await unpauseForStop(r)
                _ = await waitStopped(r.id, seconds: 30)
            }
        }
        await forget(r, removeAnonymousVolumes: removeVolumes)
    }

    /// Removes a stopped container's record, bundle and execs, releases its volumes (anonymous
    /// ones too when asked), and wakes `wait?condition=removed`.
    func forget(_ r: ContainerRecord, removeAnonymousVolumes: Bool) async {
        await emit("destroy", r)
        await healthMonitors.cancel(r.id)
        await containers.remove(r.id)
        DiskReserve.refill()
        await execs.removeAll(of: r.id)
        await restarts.reset(r.id)
        unlink(shimSocket(r.id))
        await releaseVolumes((try? mountPoints(of: r)) ?? [], of: r.id, removeAnonymous: removeAnonymousVolumes)
        await events.removed(r.id)
    }

    /// `wait`: the exit code, per Docker's conditions.
    public func waitContainer(_ ref: String, condition: String?) async throws -> Int32 {
        let r = try await containers.find(ref)
        let c: ContainerEvents.Condition
        switch condition ?? "" {
        case "", "not-running": c = .notRunning
        case "next-exit": c = .nextExit
        case "removed": c = .removed
        default: throw EngineError(.invalid, "invalid condition: \"\(condition ?? "")\" (use not-running, next-exit or removed)")
        }
        guard let code = await events.wait(r.id, c, currentExit: state(r.id).exitCode ?? 0) else { throw CancellationError() }
        return code
    }

    public func renameContainer(_ ref: String, to name: String) async throws {
        let n = name.hasPrefix("/") ? String(name.dropFirst()) : name
        guard Self.isValidName(n) else { throw EngineError(.invalid, "Invalid container name (\(name)), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed") }
        let r = try await containers.find(ref)
        try await containers.rename(r.id, to: n)
        await emit("rename", container: r.id, ["oldName": "/" + r.name])
    }

    /// Attaches once the container runs (`docker run` and `start -a` attach before they start)
    /// and runs `body` with the stream. False when the container was removed before it started.
    public func attach(_ ref: String, stdin: Bool, stdout: Bool, stderr: Bool, waitForStart: Bool,
                       _ body: (inout ShimClient.Stream) async throws -> Void) async throws -> Bool {
        let r = try await containers.find(ref)
        if waitForStart {
            guard await events.waitStarted(r.id) else { return false }
        } else if !(await events.isRunning(r.id)) {
            throw EngineError(.conflict, "You cannot attach to a stopped container, start it first")
        }
        try await shim(r.id).withSession(.attach(stdin: stdin, stdout: stdout, stderr: stderr)) { _, stream in
            if waitForStart { await events.attached(r.id) }
            await emit("attach", r)
            try await body(&stream)
        }
        return true
    }

    /// The client typed the detach keys: Docker's `detach` event.
    public func noteDetach(_ id: String) async { await emit("detach", container: id) }

    public func resize(_ ref: String, height: UInt16, width: UInt16) async throws {
        let r = try await containers.find(ref)
        guard await events.isRunning(r.id) else { throw EngineError(.conflict, "Container \(r.id) is not running") }
        _ = try await shim(r.id).call(.resize(height: height, width: width))
    }

    /// `container prune`: every stopped container.
    public func pruneContainers() async -> [String] {
        var out: [String] = []
        for r in await containers.all() where !(await events.isRunning(r.id)) {
            // Restarting counts as running, as in Docker.
            if await restarts.isRestarting(r.id) { continue }
            await forget(r, removeAnonymousVolumes: false)
            out.append(r.id)
        }
        return out
    }
}
