import BerthEngine
import BerthRuntime
import Foundation

/// Docker's JSON shapes for containers (`ps` entries and `inspect`).
enum ContainerJSON {
    static let zeroTime = "0001-01-01T00:00:00Z"

    static func hasLabel(_ filter: String, _ labels: [String: String]) -> Bool {
        let p = filter.split(separator: "=", maxSplits: 1).map(String.init)
        guard let v = labels[p[0]] else { return false }
        return p.count == 1 || p[1] == v
    }

    /// `Up 5 seconds`, `Up 2 minutes (Paused)`, `Restarting (1) 3 seconds ago`, `Exited (0) 3 minutes ago`, `Created`.
    static func status(_ st: ContainerStatus) -> String {
        let now = Date()
        let s = st.state
        func since(_ t: String?) -> String {
            guard let t, let d = GoTime.parse(t) else { return "Less than a second" }
            return HumanUnits.duration(now.timeIntervalSince(d))
        }
        if st.restarting { return "Restarting (\(s.exitCode ?? 0)) \(since(s.finishedAt)) ago" }
        if st.paused { return "Up \(since(s.startedAt)) (Paused)" }
        switch s.status {
        case .running:
            guard let health = st.health?.status else { return "Up \(since(s.startedAt))" }
            return "Up \(since(s.startedAt)) (\(health == .starting ? "health: starting" : health.rawValue))"
        case .paused: return "Up \(since(s.startedAt)) (Paused)"
        case .exited: return "Exited (\(s.exitCode ?? 0)) \(since(s.finishedAt)) ago"
        case .created: return "Created"
        }
    }

    static func command(_ r: ContainerRecord) -> String {
        ([r.path] + r.args).map { $0.contains(" ") ? "\"\($0)\"" : $0 }.joined(separator: " ")
    }

    static func summary(_ r: ContainerRecord, _ st: ContainerStatus, _ e: Engine) -> [String: Any] {
        [
            "Id": r.id, "Names": ["/" + r.name], "Image": r.image, "ImageID": r.imageID.description,
            "Command": command(r), "Created": Int(r.created.timeIntervalSince1970), "State": st.name,
            "Status": status(st), "Ports": [Any](), "Labels": r.config.Labels ?? [:],
            "HostConfig": ["NetworkMode": r.hostConfig.NetworkMode ?? "default"],
            "NetworkSettings": ["Networks": [String: Any]()], "Mounts": mounts(r, e),
        ]
    }

    /// Docker's `Mounts`: binds, volumes (with their name and `_data` path) and `--mount` tmpfs.
    static func mounts(_ r: ContainerRecord, _ e: Engine) -> [[String: Any]] {
        ((try? e.mountPoints(of: r)) ?? []).map { p in
            switch p.type {
            case .bind:
                return ["Type": "bind", "Source": p.source, "Destination": p.destination, "Mode": p.mode, "RW": !p.readOnly,
                        "Propagation": p.propagation]
            case .volume:
                let name = p.name ?? ""
                return ["Type": "volume", "Name": name, "Source": e.volumes.dataPath(name), "Destination": p.destination,
                        "Driver": Volume.localDriver, "Mode": p.mode, "RW": !p.readOnly, "Propagation": ""]
            case .tmpfs:
                return ["Type": "tmpfs", "Source": "", "Destination": p.destination, "Mode": "", "RW": !p.readOnly, "Propagation": ""]
            }
        }
    }

    /// Docker's `NetworkSettings.Ports` (`{"80/tcp": [{"HostIp", "HostPort"}], "443/tcp": null}`):
    /// while the container runs on a network with port mapping (not host or none), its
    /// published ports with their host bindings and its other exposed ports with none.
    static func ports(_ r: ContainerRecord, running: Bool) -> [String: Any] {
        guard running, !["host", "none"].contains(r.hostConfig.NetworkMode ?? "") else { return [:] }
        var out: [String: Any] = [:]
        for port in (r.config.ExposedPorts ?? [:]).keys { out[port] = NSNull() }
        for (port, bindings) in r.hostConfig.PortBindings ?? [:] {
            guard let bindings, !bindings.isEmpty else { continue }
            out[port] = bindings.map { ["HostIp": $0.HostIp ?? "", "HostPort": $0.HostPort ?? ""] }
        }
        return out
    }

    /// Docker's `State.Health`.
    static func health(_ h: ContainerHealth) -> [String: Any] {
        ["Status": h.status.rawValue, "FailingStreak": h.failingStreak,
         "Log": h.log.map { ["Start": GoTime.format($0.start), "End": GoTime.format($0.end), "ExitCode": $0.exitCode, "Output": $0.output] }]
    }

    /// Docker's ps `health` filter value: the status, or `none` without a health check.
    static func healthFilterValue(_ st: ContainerStatus) -> String { st.health?.status.rawValue ?? "none" }

    /// Encodes a Codable value into JSONSerialization's world.
    static func object<T: Encodable>(_ v: T) -> [String: Any] {
        guard let data = try? JSONEncoder().encode(v), let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return o
    }

    static func inspect(_ e: Engine, _ ref: String) async throws -> [String: Any] {
        let r = try await e.containers.find(ref)
        let st = await e.status(r)
        let s = st.state
        let bundle = e.containers.bundle(r.id)
        var config = object(r.config)
        config["Image"] = r.image
        if config["Hostname"] == nil || (config["Hostname"] as? String)?.isEmpty == true { config["Hostname"] = r.shortID }
        for k in ["Domainname", "User", "WorkingDir"] where config[k] == nil { config[k] = "" }
        for k in ["AttachStdin", "AttachStdout", "AttachStderr", "Tty", "OpenStdin", "StdinOnce"] where config[k] == nil { config[k] = false }
        for k in ["Cmd", "Entrypoint", "Env", "OnBuild"] where config[k] == nil { config[k] = NSNull() }
        if config["Labels"] == nil { config["Labels"] = [String: String]() }
        var host = object(r.hostConfig)
        if host["NetworkMode"] == nil || (host["NetworkMode"] as? String)?.isEmpty == true { host["NetworkMode"] = "default" }
        if host["RestartPolicy"] == nil { host["RestartPolicy"] = ["Name": "no", "MaximumRetryCount": 0] }
        if host["LogConfig"] == nil || (host["LogConfig"] as? [String: Any])?["Type"] == nil { host["LogConfig"] = ["Type": "json-file", "Config": [String: String]()] }
        for k in ["AutoRemove", "Privileged", "ReadonlyRootfs", "PublishAllPorts"] where host[k] == nil { host[k] = false }
        for k in ["Memory", "MemorySwap", "NanoCpus", "CpuShares", "CpuPeriod", "CpuQuota"] where host[k] == nil { host[k] = 0 }
        if host["PortBindings"] == nil { host["PortBindings"] = [String: Any]() }
        let running = st.running
        var state: [String: Any] = [
            "Status": st.name, "Running": running, "Paused": st.paused, "Restarting": st.restarting,
            "OOMKilled": s.oomKilled, "Dead": false, "Pid": running && !st.restarting ? Int(s.pid) : 0, "ExitCode": Int(s.exitCode ?? 0),
            "Error": s.error ?? "", "StartedAt": s.startedAt ?? zeroTime, "FinishedAt": s.finishedAt ?? zeroTime,
        ]
        if let h = st.health { state["Health"] = health(h) }
        return [
            "Id": r.id, "Created": GoTime.format(r.created), "Path": r.path, "Args": r.args,
            "State": state,
            "Image": r.imageID.description, "ResolvConfPath": "\(bundle)/resolv.conf", "HostnamePath": "\(bundle)/hostname",
            "HostsPath": "\(bundle)/hosts", "LogPath": e.logPath(r.id), "Name": "/" + r.name, "RestartCount": r.restartCount,
            "Driver": "overlay", "Platform": "linux", "MountLabel": "", "ProcessLabel": "", "AppArmorProfile": "", "ExecIDs": NSNull(),
            "HostConfig": host,
            "GraphDriver": ["Name": "overlay", "Data": ["UpperDir": "\(bundle)/upper", "WorkDir": "\(bundle)/work", "MergedDir": "\(bundle)/rootfs"]],
            "Mounts": mounts(r, e), "Config": config,
            "NetworkSettings": ["Bridge": "", "SandboxID": "", "Ports": ports(r, running: running && !st.restarting), "Networks": [String: Any](),
                                "IPAddress": "", "IPPrefixLen": 0, "Gateway": "", "MacAddress": ""],
        ]
    }
}
