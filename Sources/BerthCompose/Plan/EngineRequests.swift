import Foundation

/// The labels docker compose v2 puts on what it creates; `docker compose ps`/`down` and berth's
/// own find a project's containers, networks and volumes by them.
public enum ComposeLabel {
    public static let project = "com.docker.compose.project"
    public static let service = "com.docker.compose.service"
    public static let containerNumber = "com.docker.compose.container-number"
    public static let oneoff = "com.docker.compose.oneoff"
    public static let workingDir = "com.docker.compose.project.working_dir"
    public static let configFiles = "com.docker.compose.project.config_files"
    public static let configHash = "com.docker.compose.config-hash"
    public static let dependsOn = "com.docker.compose.depends_on"
    public static let network = "com.docker.compose.network"
    public static let volume = "com.docker.compose.volume"
}

/// Engine API request bodies (`POST /containers/create`, `/networks/create`, `/volumes/create`)
/// for a loaded project, as docker compose v2 sends them for `up`.
extension ComposeProject {
    /// The name of a service's (first) container: `container_name`, or `<project>-<service>-1`.
    public func containerName(_ service: String) -> String {
        services[service]?.containerName ?? "\(name)-\(service)-1"
    }

    /// The image a service's container runs: `image:`, or for a service that only has `build:`
    /// the name docker compose gives what it builds, `<project>-<service>`.
    public func imageName(_ service: String) -> String? {
        guard let s = services[service] else { return nil }
        return s.image ?? (s.build != nil ? "\(name)-\(service)" : nil)
    }

    /// `up` builds nothing and never pulls an image a service builds: every service of `selected`
    /// with `build:` must find its image already present (`imageExists`), as with
    /// `docker compose up --no-build`; otherwise all of them are refused, before anything is created.
    public func checkBuiltImages(_ selected: [String], imageExists: (String) throws -> Bool) throws {
        var missing: [String] = []
        for service in selected {
            guard services[service]?.build != nil, let image = imageName(service) else { continue }
            if try !imageExists(image) { missing.append("service \(service.debugDescription) needs image \(image), which is not built: run `berth build -t \(image) \(services[service]?.build?.context ?? ".")` first") }
        }
        if !missing.isEmpty { throw ComposeError.invalidProject("berth compose up does not build: " + missing.joined(separator: "; ")) }
    }

    /// The networks `up` creates or checks: those some service joins, by key.
    public var usedNetworks: [String] {
        Set(services.values.flatMap { ($0.networks ?? [:]).keys }).filter { networks[$0] != nil }.sorted()
    }

    /// The named volumes `up` creates or checks: those some service mounts, by key.
    public var usedVolumes: [String] {
        Set(services.values.flatMap { ($0.volumes ?? []).compactMap { $0.type == .volume ? $0.source : nil } }).filter { volumes[$0] != nil }.sorted()
    }

    /// `POST /networks/create` for the network `key`.
    public func networkCreateBody(_ key: String) -> [String: Any] {
        let n = networks[key] ?? Network()
        var labels = n.labels ?? [:]
        labels[ComposeLabel.project] = name
        labels[ComposeLabel.network] = key
        var body: [String: Any] = ["Name": n.name ?? "\(name)_\(key)", "Driver": n.driver ?? "bridge", "Labels": labels,
                                   "Internal": n.internal ?? false, "Attachable": n.attachable ?? false]
        if let o = n.driverOpts { body["Options"] = o }
        if let v6 = n.enableIPv6 { body["EnableIPv6"] = v6 }
        if let ipam = n.ipam {
            body["IPAM"] = ["Driver": ipam.driver ?? "default", "Config": ipam.config.map { pool -> [String: String] in
                var c: [String: String] = [:]
                if let s = pool.subnet { c["Subnet"] = s }
                if let g = pool.gateway { c["Gateway"] = g }
                if let r = pool.ipRange { c["IPRange"] = r }
                return c
            }]
        }
        return body
    }

    /// `POST /volumes/create` for the volume `key`.
    public func volumeCreateBody(_ key: String) -> [String: Any] {
        let v = volumes[key] ?? Volume()
        var labels = v.labels ?? [:]
        labels[ComposeLabel.project] = name
        labels[ComposeLabel.volume] = key
        return ["Name": v.name ?? "\(name)_\(key)", "Driver": v.driver ?? "local", "DriverOpts": v.driverOpts ?? [:], "Labels": labels]
    }

    /// `POST /containers/create?name=containerName(service)` for the service's container; its
    /// labels carry a hash of the rest, so that `up` recreates a container whose service changed.
    public func containerCreateBody(_ service: String) throws -> [String: Any] {
        guard let s = services[service] else { throw ComposeError.invalidProject("no such service: \(service)") }
        guard let image = imageName(service) else { throw ComposeError.invalidProject("service \(service.debugDescription) has neither an image nor a build context specified") }
        var host: [String: Any] = [:]
        var body: [String: Any] = ["Image": image]
        body["Env"] = (s.environment ?? [:]).compactMap { key, value in value.map { "\(key)=\($0)" } }.sorted()
        if let c = s.command { body["Cmd"] = c }
        if let e = s.entrypoint { body["Entrypoint"] = e }
        if let u = s.user { body["User"] = u }
        if let w = s.workingDir { body["WorkingDir"] = w }
        if let h = s.hostname { body["Hostname"] = h }
        if let x = s.stopSignal { body["StopSignal"] = x }
        if let g = s.stopGracePeriod { body["StopTimeout"] = Int((g.nanoseconds + 999_999_999) / 1_000_000_000) }
        if let t = s.tty { body["Tty"] = t }
        if let i = s.stdinOpen { body["OpenStdin"] = i }
        if let h = s.healthcheck {
            var check: [String: Any] = ["Test": h.disable == true ? ["NONE"] : (h.test ?? [])]
            if let d = h.interval { check["Interval"] = d.nanoseconds }
            if let d = h.timeout { check["Timeout"] = d.nanoseconds }
            if let d = h.startPeriod { check["StartPeriod"] = d.nanoseconds }
            if let d = h.startInterval { check["StartInterval"] = d.nanoseconds }
            if let r = h.retries { check["Retries"] = r }
            body["Healthcheck"] = check
        }

        var exposed: [String: Any] = [:]
        var bindings: [String: [[String: String]]] = [:]
        for p in s.ports ?? [] {
            let key = "\(p.target)/\(p.proto)"
            exposed[key] = [String: Any]()
            bindings[key, default: []].append(["HostIp": p.hostIP ?? "", "HostPort": p.published ?? ""])
        }
        for e in s.expose ?? [] {
            let parts = e.split(separator: "/", maxSplits: 1)
            let proto = parts.count == 2 ? String(parts[1]) : "tcp"
            if let range = ServicePort.range(String(parts[0])) { for port in range { exposed["\(port)/\(proto)"] = [String: Any]() } }
        }
        if !exposed.isEmpty { body["ExposedPorts"] = exposed }
        if !bindings.isEmpty { host["PortBindings"] = bindings }

        var binds: [String] = []
        var mounts: [[String: Any]] = []
        for v in s.volumes ?? [] {
            switch v.type {
            case .bind where (v.createHostPath == true && v.propagation == nil) || v.selinux != nil:
                // Docker's -v creates a missing host directory; the API's Mounts do not, and
                // cannot relabel for SELinux (z/Z): those go through Binds, as the docker CLI sends them.
                var options = [v.readOnly ? "ro" : "rw"]
                if let z = v.selinux { options.append(z) }
                if let p = v.propagation { options.append(p) }
                binds.append("\(v.source ?? ""):\(v.target):\(options.joined(separator: ","))")
            case .bind:
                var m: [String: Any] = ["Type": "bind", "Source": v.source ?? "", "Target": v.target, "ReadOnly": v.readOnly]
                if let p = v.propagation { m["BindOptions"] = ["Propagation": p] }
                mounts.append(m)
            case .volume:
                var m: [String: Any] = ["Type": "volume", "Source": v.source.map { volumes[$0]?.name ?? $0 } ?? "", "Target": v.target, "ReadOnly": v.readOnly]
                var options: [String: Any] = [:]
                if let n = v.noCopy { options["NoCopy"] = n }
                if let p = v.subpath { options["Subpath"] = p }
                if !options.isEmpty { m["VolumeOptions"] = options }
                mounts.append(m)
            case .tmpfs:
                var m: [String: Any] = ["Type": "tmpfs", "Target": v.target, "ReadOnly": v.readOnly]
                var options: [String: Any] = [:]
                if let size = v.tmpfsSize { options["SizeBytes"] = size }
                if let mode = v.tmpfsMode { options["Mode"] = mode }
                if !options.isEmpty { m["TmpfsOptions"] = options }
                mounts.append(m)
            }
        }
        if !binds.isEmpty { host["Binds"] = binds }
        if !mounts.isEmpty { host["Mounts"] = mounts }

        // Every network the service joins, its name and the service's aliases resolvable there.
        var endpoints: [String: Any] = [:]
        let joined = (s.networks ?? ["default": Service.ServiceNetwork()]).keys.sorted()
        for key in joined {
            let n = s.networks?[key] ?? Service.ServiceNetwork()
            var endpoint: [String: Any] = ["Aliases": [containerName(service), service] + (n.aliases ?? [])]
            var ipam: [String: String] = [:]
            if let a = n.ipv4Address { ipam["IPv4Address"] = a }
            if let a = n.ipv6Address { ipam["IPv6Address"] = a }
            if !ipam.isEmpty { endpoint["IPAMConfig"] = ipam }
            endpoints[networks[key]?.name ?? "\(name)_\(key)"] = endpoint
        }
        if let first = joined.first { host["NetworkMode"] = networks[first]?.name ?? "\(name)_\(first)" }
        body["NetworkingConfig"] = ["EndpointsConfig": endpoints]

        if let r = s.restart {
            let parts = r.split(separator: ":", maxSplits: 1)
            host["RestartPolicy"] = ["Name": String(parts[0]), "MaximumRetryCount": parts.count == 2 ? Int(parts[1]) ?? 0 : 0]
        }
        if let i = s.initProcess { host["Init"] = i }
        if let c = s.capAdd { host["CapAdd"] = c }
        if let c = s.capDrop { host["CapDrop"] = c }
        if let m = s.memLimit { host["Memory"] = m }
        if let e = s.extraHosts {
            host["ExtraHosts"] = e.map { entry in
                let parts = entry.split(separator: "=", maxSplits: 1)
                return parts.count == 2 ? "\(parts[0]):\(parts[1])" : entry
            }
        }
        if let d = s.dns { host["Dns"] = d }
        body["HostConfig"] = host

        var labels = s.labels ?? [:]
        labels[ComposeLabel.project] = name
        labels[ComposeLabel.service] = service
        labels[ComposeLabel.containerNumber] = "1"
        labels[ComposeLabel.oneoff] = "False"
        labels[ComposeLabel.workingDir] = workingDir
        labels[ComposeLabel.configFiles] = files.joined(separator: ",")
        labels[ComposeLabel.dependsOn] = (s.dependsOn ?? [:]).keys.sorted().map { "\($0):\(s.dependsOn![$0]!.condition):\(s.dependsOn![$0]!.restart ?? false)" }.joined(separator: ",")
        body["Labels"] = labels
        labels[ComposeLabel.configHash] = Self.hash(body)
        body["Labels"] = labels
        return body
    }

    /// FNV-1a over the canonical JSON of `body`: equal for equal requests, compared only with itself.
    static func hash(_ body: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data()
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(h, radix: 16)
    }
}
