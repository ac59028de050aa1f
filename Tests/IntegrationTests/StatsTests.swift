import Foundation
import Testing

/// Watching and tuning running containers: pause/unpause, stats, top and update, through
/// `berth`, the Engine API and the real docker CLI. The tests mostly wait, so they are async
/// and run commands off the cooperative pool.
@Suite(.serialized) struct StatsTests {
    @Test func pauseFreezesTheContainerAndUnpauseResumesIt() async throws {
        let d = try await offPool { try Fixtures.daemonWithBusybox() }
        let loop = "i=0; while true; do i=$((i+1)); echo $i > /tmp/c; sleep 0.1; done"
        #expect(await d.berth("run", "-d", "--name", "counter", "bb", "sh", "-c", loop).status == 0)
        let id = await d.berth("inspect", "-f", "{{.Id}}", "counter").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        // Read from the host through the overlay's upper dir: an exec would join the frozen cgroup.
        let counter = {
            Int((try? String(contentsOfFile: "\(d.dataRoot)/containers/\(id)/upper/tmp/c", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
        }
        #expect(await eventually(10) { counter() > 2 })
        #expect(await d.berth("pause", "counter").stdout == "counter\n")
        let frozen = counter()
        try await Task.sleep(for: .milliseconds(700))
        #expect(counter() == frozen, "a paused container does not run")
        #expect(await d.berth("inspect", "-f", "{{.State.Status}} {{.State.Paused}} {{.State.Running}}", "counter").stdout == "paused true true\n")
        #expect(await d.berth("ps", "--format", "{{.State}} {{.Status}}").stdout.hasSuffix("(Paused)\n"))
        #expect(await d.berth("pause", "counter").stderr.contains("Container \(id) is already paused"))
        #expect(await d.berth("exec", "counter", "true").stderr.contains("is paused, unpause the container before exec"))
        #expect(await d.berth("rm", "counter").stderr.contains("container is paused and must be unpaused first"))

        #expect(await d.berth("unpause", "counter").stdout == "counter\n")
        #expect(await eventually(5) { counter() > frozen + 2 }, "it counts again")
        #expect(await d.berth("unpause", "counter").stderr.contains("Container \(id) is not paused"))

        // stop thaws first; sh as PID 1 ignores TERM, so the kill after 1 s ends it.
        #expect(await d.berth("pause", "counter").status == 0)
        #expect(await d.berth("stop", "-t", "1", "counter").stdout == "counter\n")
        #expect(await d.berth("inspect", "-f", "{{.State.Status}} {{.State.Paused}} {{.State.ExitCode}}", "counter").stdout == "exited false 137\n")
        #expect(await d.berth("pause", "counter").stderr.contains("Container \(id) is not running"))
        await d.berth("rm", "-f", "counter")
    }

    @Test func statsReportsUsageAndTopListsTheContainersProcesses() async throws {
        let d = try await offPool { try Fixtures.daemonWithBusybox() }
        #expect(await d.berth("run", "-d", "--name", "busy", "bb", "sh", "-c", "while true; do sleep 1; done").status == 0)
        let table = await d.berth("stats", "--no-stream", "busy")
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.lines.first?.split(separator: " ").joined(separator: " ") == "CONTAINER ID NAME CPU % MEM USAGE / LIMIT MEM % NET I/O BLOCK I/O PIDS", "\(table.stdout)")
        let row = await d.berth("stats", "--no-stream", "--format", "{{.Name}}|{{.MemUsage}}|{{.PIDs}}|{{.CPUPerc}}", "busy").stdout
        let cells = row.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|").map(String.init)
        #expect(cells.count == 4 && cells[0] == "busy", "\(row)")
        #expect(cells.count == 4 && !cells[1].hasPrefix("0B /") && cells[1].contains("iB"), "memory in use: \(row)")
        #expect(cells.count == 4 && (Int(cells[2]) ?? 0) >= 1, "pids: \(row)")
        #expect(cells.count == 4 && cells[3].hasSuffix("%"))

        // The API object: a second between the readings, Docker's names.
        let api = try StatsTests.json(await Run.curl(socket: d.socket, path: "/containers/busy/stats?stream=0"))
        let memory = api["memory_stats"] as? [String: Any]
        #expect(((memory?["usage"] as? NSNumber)?.intValue ?? 0) > 0)
        #expect(((api["pids_stats"] as? [String: Any])?["current"] as? NSNumber)?.intValue ?? 0 >= 1)
        #expect(api["name"] as? String == "/busy")
        #expect(((api["precpu_stats"] as? [String: Any])?["system_cpu_usage"] as? NSNumber)?.intValue ?? 0 > 0)
        #expect(api["preread"] as? String != "0001-01-01T00:00:00Z")
        let oneShot = try StatsTests.json(await Run.curl(socket: d.socket, path: "/v1.41/containers/busy/stats?stream=0&one-shot=1"))
        #expect(oneShot["preread"] as? String == "0001-01-01T00:00:00Z")
        let stream = await Run.run("/usr/bin/curl", ["-sN", "--max-time", "2.5", "--unix-socket", d.socket, "http://localhost/containers/busy/stats"])
        #expect(stream.lines.count >= 2, "one object per second: \(stream.stdout.prefix(200))")

        let top = await d.berth("top", "busy")
        #expect(top.lines.first?.split(separator: " ").joined(separator: " ") == "UID PID PPID C STIME TTY TIME CMD", "\(top.stdout)")
        #expect(top.stdout.contains("sh -c while true; do sleep 1; done"), "\(top.stdout)")
        #expect(!top.stdout.contains("berth-shim"), "only the container's processes")
        let pid = await d.berth("inspect", "-f", "{{.State.Pid}}", "busy").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let custom = await d.berth("top", "busy", "-o", "pid,comm")
        #expect(custom.lines.first?.split(separator: " ").joined(separator: " ") == "PID COMMAND")
        #expect(custom.lines.contains { $0.split(separator: " ").map(String.init) == [pid, "sh"] }, "\(custom.stdout)")

        #expect(await d.berth("stop", "-t", "0", "busy").status == 0)
        #expect(await d.berth("top", "busy").stderr.contains("is not running"))
        let stopped = try StatsTests.json(await Run.curl(socket: d.socket, path: "/containers/busy/stats?stream=0"))
        #expect(stopped["read"] as? String == "0001-01-01T00:00:00Z" && stopped["name"] as? String == "/busy")
        await d.berth("rm", "-f", "busy")
    }

    @Test func updateChangesTheRunningCgroupAndTheNextStart() async throws {
        let d = try await offPool { try Fixtures.daemonWithBusybox() }
        #expect(await d.berth("run", "-d", "--name", "lim", "-m", "32m", "bb", "sleep", "1000").status == 0)
        let id = await d.berth("inspect", "-f", "{{.Id}}", "lim").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(StatsTests.memoryLimit(id) == "33554432")
        #expect(await d.berth("update", "--memory", "64m", "lim").stdout == "lim\n")
        #expect(StatsTests.memoryLimit(id) == "67108864")
        #expect(await d.berth("update", "--pids-limit", "20", "--restart", "on-failure:3", "lim").status == 0)
        let settings = "{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}"
        #expect(await d.berth("inspect", "-f", settings, "lim").stdout == "67108864 20 on-failure:3\n")

        // Recorded: the next start applies them.
        #expect(await d.berth("stop", "-t", "0", "lim").status == 0)
        #expect(await d.berth("start", "lim").status == 0)
        #expect(StatsTests.memoryLimit(id) == "67108864")

        #expect(await d.berth("update", "--memory", "4m", "lim").stderr.contains("Minimum memory limit allowed is 6MB"))
        #expect(await d.berth("update", "--restart", "always:2", "lim").stderr.contains("maximum retry count can only be used with 'on-failure'"))
        #expect(await d.berth("update", "lim").stderr.contains("you must provide one or more flags"))
        let other = await Run.curl(socket: d.socket, path: "/containers/lim/update", method: "POST",
                                   extra: ["-H", "Content-Type: application/json", "-d", #"{"BlkioWeight":300,"Memory":0,"Ulimits":null}"#])
        #expect(other.stdout.hasPrefix("HTTP/1.1 400") && other.stdout.contains("berthd cannot update BlkioWeight"), "\(other.stdout)")
        await d.berth("rm", "-f", "lim")
    }

    @Test func dockerCLIPausesStatsTopsAndUpdatesBerthContainers() async throws {
        let d = try await offPool { try Fixtures.daemonWithBusybox() }
        #expect(await d.docker("run", "-d", "--name", "dk", "-m", "32m", "bb", "sh", "-c", "while true; do sleep 1; done").status == 0)
        let id = await d.docker("inspect", "-f", "{{.Id}}", "dk").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(await d.docker("pause", "dk").stdout == "dk\n")
        #expect(await d.docker("inspect", "-f", "{{.State.Status}}", "dk").stdout == "paused\n")
        #expect(await d.docker("ps", "--format", "{{.Status}}").stdout.hasSuffix("(Paused)\n"))
        #expect(await d.docker("unpause", "dk").stdout == "dk\n")
        #expect(await d.docker("inspect", "-f", "{{.State.Status}}", "dk").stdout == "running\n")

        let stats = await d.docker("stats", "--no-stream", "dk")
        #expect(stats.status == 0, "\(stats.stderr)")
        #expect(stats.lines.first?.split(separator: " ").joined(separator: " ") == "CONTAINER ID NAME CPU % MEM USAGE / LIMIT MEM % NET I/O BLOCK I/O PIDS")
        let cells = await d.docker("stats", "--no-stream", "--format", "{{.Name}}|{{.MemUsage}}|{{.PIDs}}", "dk").stdout
            .trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|").map(String.init)
        #expect(cells.count == 3 && cells[0] == "dk" && cells[1].hasSuffix("/ 32MiB") && !cells[1].hasPrefix("0B"), "\(cells)")

        let top = await d.docker("top", "dk")
        #expect(top.status == 0, "\(top.stderr)")
        #expect(top.stdout.contains("sh -c while true; do sleep 1; done"), "\(top.stdout)")

        #expect(await d.docker("update", "--memory", "64m", "dk").stdout == "dk\n")
        #expect(StatsTests.memoryLimit(id) == "67108864")
        await d.docker("rm", "-f", "dk")
    }

    /// The memory limit the kernel enforces on a container (cgroup v1 or v2).
    static func memoryLimit(_ id: String) -> String {
        let v1 = "/sys/fs/cgroup/memory/berth/\(id)/memory.limit_in_bytes"
        let path = FileManager.default.fileExists(atPath: v1) ? v1 : "/sys/fs/cgroup/berth/\(id)/memory.max"
        return ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The JSON body of a `curl -i` answer.
    static func json(_ r: Run.Result) throws -> [String: Any] {
        guard let start = r.stdout.range(of: "\r\n\r\n")?.upperBound,
              let o = try JSONSerialization.jsonObject(with: Data(r.stdout[start...].utf8)) as? [String: Any]
        else { throw TestFailure("not a JSON answer: \(r.stdout.prefix(300))") }
        return o
    }
}
