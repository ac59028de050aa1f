import BerthOCI
import BerthRuntime
import Foundation
import Glibc

/// Health checks, with Docker's semantics (moby daemon/health.go): a monitor per running
/// container runs the probe as an exec through the shim, every `interval` (or
/// `start-interval` while starting), kills it after `timeout`, and turns `retries` failures in
/// a row into `unhealthy`.
extension Engine {
    /// Docker's initHealthMonitor, at every start and when berthd adopts a running container:
    /// status `starting`, no failures, and a fresh monitor (the log is kept).
    func startHealthMonitor(_ id: String) async {
        guard let r = try? await containers.find(id), let probe = HealthProbe(r.config.Healthcheck) else { return }
        await healthMonitors.cancel(id)
        let token = UInt64.random(in: 1...UInt64.max)
        guard (try? await containers.change(id, { r in
            var h = r.health ?? ContainerHealth()
            h.status = .starting
            h.failingStreak = 0
            h.monitor = token
            r.health = h
            return true
        })) != nil else { return }
        await launchHealthMonitor(id, token: token, probe: probe)
    }

    /// The container stopped or paused: the monitor ends and, as in Docker, the container
    /// reads `unhealthy` until a monitor runs again.
    func stopHealthMonitor(_ id: String) async {
        await healthMonitors.cancel(id)
        guard let h = (try? await containers.find(id))?.health, h.monitor != nil || h.status != .unhealthy else { return }
        try? await containers.change(id) { r in
            r.health?.monitor = nil
            r.health?.status = .unhealthy
            return true
        }
    }

    /// After `unpause`: probes resume with the status as it was (Docker's updateHealthMonitor).
    func resumeHealthMonitor(_ id: String) async {
        guard let r = try? await containers.find(id), r.health?.monitor == nil, let probe = HealthProbe(r.config.Healthcheck) else { return }
        let token = UInt64.random(in: 1...UInt64.max)
        try? await containers.change(id) { r in
            r.health?.monitor = token
            return false
        }
        await launchHealthMonitor(id, token: token, probe: probe)
    }

    private func launchHealthMonitor(_ id: String, token: UInt64, probe: HealthProbe) async {
        await healthMonitors.run(id) { [self] in await monitorHealth(id, token: token, probe: probe) }
    }

    /// The probe loop: wait, probe, record; until cancelled or replaced by another monitor.
    private func monitorHealth(_ id: String, token: UInt64, probe: HealthProbe) async {
        let started = state(id).startedAt.flatMap(GoTime.parse) ?? Date()
        while !Task.isCancelled {
            guard let r = try? await containers.find(id), let health = r.health, health.monitor == token else { return }
            let elapsed = Int64(Date().timeIntervalSince(started) * 1e9)
            do { try await Task.sleep(nanoseconds: UInt64(probe.delay(elapsedSinceStart: elapsed, status: health.status))) } catch { return }
            guard let current = try? await containers.find(id), current.health?.monitor == token else { return }
            // An exit that came before this monitor was registered had nothing to stop.
            guard await events.isRunning(id) else {
                try? await containers.change(id) { r in
                    guard r.health?.monitor == token else { return false }
                    r.health?.monitor = nil
                    r.health?.status = .unhealthy
                    return true
                }
                return
            }
            let result = await runHealthProbe(current, probe)
            let withinStartPeriod = result.start.timeIntervalSince(started) * 1e9 < Double(probe.startPeriod)
            var changed = false
            try? await containers.change(id) { r in
                // A probe that outlived its monitor (stop, pause, restart) records nothing.
                guard r.health?.monitor == token else { return false }
                changed = r.health?.record(result, retries: probe.retries, withinStartPeriod: withinStartPeriod) ?? false
                return changed
            }
            if changed, let status = (try? await containers.find(id))?.health?.status {
                await emit("health_status: \(status.rawValue)", container: id)
            }
        }
    }

    /// Runs the probe once as an exec in the container; a probe past its timeout is killed and
    /// counts as a failure (exit code -1), as does one that cannot start.
    func runHealthProbe(_ r: ContainerRecord, _ probe: HealthProbe) async -> ContainerHealth.Result {
        let start = Date()
        func failure(_ message: String) -> ContainerHealth.Result {
            ContainerHealth.Result(start: start, end: Date(), exitCode: -1, output: message)
        }
        let id = Self.randomID()
        // The shim's record of the probe's exit; probes are not kept as execs.
        let statePath = "\(containers.bundle(r.id))/execs/\(id).json"
        defer { unlink(statePath) }
        let client = shim(r.id)
        var output = ProbeOutput()
        var timedOut = false
        do {
            let process = try execProcess(r, probe.command)
            let command = probe.command.joined(separator: " ")
            // Docker reports probes like any exec.
            await emit("exec_create: " + command, r, ["execID": id])
            let refusal = try await client.withSession(.exec(id: id, process: process)) { reply, stream -> String? in
                guard reply.ok else { return reply.error ?? "exec failed" }
                await emit("exec_start: " + command, r, ["execID": id])
                await stream.closeStdin()
                // The timeout runs from the exec's start, as in Docker; on expiry the probe is
                // killed and its output read to the end.
                let timer = Task {
                    try await Task.sleep(nanoseconds: UInt64(probe.timeout))
                    _ = try? await client.call(.signalExec(id: id, signal: SIGKILL))
                }
                defer { timer.cancel() }
                try await withTaskCancellationHandler {
                    while let chunk = try await stream.next() { output.append(chunk.readableBytesView) }
                } onCancel: {
                    Task { _ = try? await client.call(.signalExec(id: id, signal: SIGKILL)) }
                }
                timer.cancel()
                timedOut = (try? await timer.value) != nil
                return nil
            }
            if let refusal { return failure("OCI runtime exec failed: \(refusal): unknown") }
        } catch {
            return failure("\(error)")
        }
        if timedOut {
            let limit = GoDuration.format(probe.timeout)
            let text = output.text
            return failure(text.isEmpty ? "Health check exceeded timeout (\(limit))" : "Health check exceeded timeout (\(limit)): \(text)")
        }
        guard let data = FileManager.default.contents(atPath: statePath), let state = try? JSONDecoder().decode(ExecState.self, from: data),
              let code = state.exitCode else {
            return failure("healthcheck for container \(r.id) has no exit code")
        }
        await emit("exec_die", r, ["execID": id, "exitCode": "\(code)"])
        return ContainerHealth.Result(start: start, end: Date(), exitCode: Int(code), output: output.text)
    }
}
