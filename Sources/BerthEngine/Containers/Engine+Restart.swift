import BerthRuntime
import Foundation

extension Engine {
    /// After an exit: when the container's restart policy says so, counts the restart and
    /// schedules it after Docker's backoff. True when the container is now restarting.
    func scheduleRestart(_ r: ContainerRecord, exit s: ContainerState) async -> Bool {
        let policy = r.hostConfig.RestartPolicy ?? .init("no")
        guard !policy.isNone,
              policy.shouldRestart(exitCode: s.exitCode ?? 0, restartCount: r.restartCount, manuallyStopped: r.manuallyStopped == true)
        else { return false }
        let started = s.startedAt.flatMap(GoTime.parse) ?? Date()
        let finished = s.finishedAt.flatMap(GoTime.parse) ?? Date()
        // Restarting before the count changes: inspect never sees the new count on an exited container.
        guard let (delay, ticket) = await restarts.prepare(r.id, ranFor: finished.timeIntervalSince(started)) else { return false }
        guard (try? await containers.update(r.id, { $0.restartCount += 1 })) != nil else {
            await restarts.finish(r.id, ticket: ticket)
            return false
        }
        restarts.launch(after: delay, ticket: ticket) { ticket in
            await self.restartAfterBackoff(r.id, ticket: ticket)
        }
        return true
    }

    /// Starts the container again once its backoff is over, unless a user stopped it meanwhile.
    func restartAfterBackoff(_ id: String, ticket: Int) async {
        guard await restarts.begin(id, ticket: ticket) else { return }
        do {
            _ = try await startContainer(id, resetRestartPolicy: false)
        } catch {
            Self.note("restart of container \(id) failed: \(error)")
        }
        await restarts.finish(id, ticket: ticket)
    }

    /// Docker's `State.Restarting`: exited, with an automatic restart pending.
    public func isRestarting(_ id: String) async -> Bool {
        guard await restarts.isRestarting(id) else { return false }
        return !(await events.isRunning(id))
    }

    /// A user `start` (also `restart`, and berthd's start after a reboot): Docker's
    /// ResetRestartManager. False when there is nothing to start (running or restarting: 304).
    func prepareUserStart(_ r: ContainerRecord) async throws -> Bool {
        if r.paused == true, await events.isRunning(r.id) {
            throw EngineError(.conflict, "cannot start a paused container, try unpause instead")
        }
        if await events.isRunning(r.id) { return false }
        if await restarts.isRestarting(r.id) { return false }
        await restarts.reset(r.id)
        if r.restartCount != 0 || r.manuallyStopped == true {
            _ = try await containers.update(r.id) {
                $0.restartCount = 0
                $0.manuallyStopped = false
            }
        }
        return true
    }

    /// A user `stop`, `kill` or `rm -f`: Docker's HasBeenManuallyStopped, and with `cancel`
    /// (the stop signal or SIGKILL) no more automatic restarts. When a restart is starting the
    /// container right now, waits until it has, so the caller then stops what it started.
    func markManuallyStopped(_ r: ContainerRecord, cancel: Bool) async {
        if r.manuallyStopped != true {
            _ = try? await containers.update(r.id) { $0.manuallyStopped = true }
        }
        if cancel, !(await restarts.cancel(r.id)) {
            await restarts.waitStarted(r.id)
        }
    }

    /// What berthd starts when it comes up (Docker's restore): containers that ran before and
    /// whose policy wants them running — `always`, `unless-stopped` unless a user stopped it,
    /// `on-failure` after a failure within its retries. As after a reboot, with a fresh count.
    func restartAfterBoot() async {
        for r in await containers.all() where !(await events.isRunning(r.id)) {
            let s = state(r.id)
            let policy = r.hostConfig.RestartPolicy ?? .init("no")
            guard s.startedAt != nil, !policy.isNone,
                  policy.shouldRestart(exitCode: s.exitCode ?? 0, restartCount: r.restartCount, manuallyStopped: r.manuallyStopped == true)
            else { continue }
            do {
                _ = try await startContainer(r.id)
            } catch {
                Self.note("starting container \(r.id) (restart policy \(policy.mode)) failed: \(error)")
            }
        }
    }

    /// A line in berthd's log (its stderr).
    static func note(_ message: String) {
        FileHandle.standardError.write(Data("berthd: \(message)\n".utf8))
    }
}
