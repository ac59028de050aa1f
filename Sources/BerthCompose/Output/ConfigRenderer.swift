/// `docker compose config`'s output for a loaded project: name, services, networks, volumes;
/// services and their keys sorted by name, ports and volumes in the long form, in compose's
/// own field order.
extension ComposeProject {
    public func configYAML() -> String {
        var top: [(String, OutputNode)] = [("name", .string(name))]
        top.append(("services", .map(services.keys.sorted().map { ($0, Self.render(services[$0]!)) })))
        if !networks.isEmpty { top.append(("networks", .map(networks.keys.sorted().map { ($0, Self.render(networks[$0]!)) }))) }
        if !volumes.isEmpty { top.append(("volumes", .map(volumes.keys.sorted().map { ($0, Self.render(volumes[$0]!)) }))) }
        return YAMLWriter.write(.map(top))
    }

    static func render(_ s: Service) -> OutputNode {
        var out: [(String, OutputNode)] = []
        func add(_ key: String, _ value: OutputNode?) { if let value { out.append((key, value)) } }
        func strings(_ list: [String]?) -> OutputNode? { list.map { .list($0.map(OutputNode.string)) } }
        if let b = s.build {
            var m: [(String, OutputNode)] = []
            if let c = b.context { m.append(("context", .string(c))) }
            if let d = b.dockerfile { m.append(("dockerfile", .string(d))) }
            if let a = b.args { m.append(("args", optionalStrings(a))) }
            if let t = b.target { m.append(("target", .string(t))) }
            add("build", .map(m))
        }
        add("cap_add", strings(s.capAdd))
        add("cap_drop", strings(s.capDrop))
        add("command", strings(s.command))
        add("container_name", s.containerName.map(OutputNode.string))
        add("depends_on", s.dependsOn.map { deps in
            .map(deps.keys.sorted().map { key in
                let d = deps[key]!
                var m: [(String, OutputNode)] = [("condition", .string(d.condition))]
                if let r = d.restart { m.append(("restart", .bool(r))) }
                m.append(("required", .bool(d.required)))
                return (key, .map(m))
            })
        })
        add("dns", strings(s.dns))
        add("entrypoint", strings(s.entrypoint))
        add("env_file", s.envFiles.map { files in .list(files.map { .map([("path", .string($0.path)), ("required", .bool($0.required))] + ($0.format.map { [("format", .string($0))] } ?? [])) }) })
        add("environment", s.environment.flatMap { $0.isEmpty ? nil : optionalStrings($0) })
        add("expose", strings(s.expose))
        add("extra_hosts", strings(s.extraHosts))
        if let h = s.healthcheck {
            var m: [(String, OutputNode)] = []
            if let t = h.test { m.append(("test", .list(t.map(OutputNode.string)))) }
            if let d = h.timeout { m.append(("timeout", .string(d.description))) }
            if let d = h.interval { m.append(("interval", .string(d.description))) }
            if let r = h.retries { m.append(("retries", .int(Int64(r)))) }
            if let d = h.startPeriod { m.append(("start_period", .string(d.description))) }
            if let d = h.startInterval { m.append(("start_interval", .string(d.description))) }
            if let x = h.disable { m.append(("disable", .bool(x))) }
            add("healthcheck", .map(m))
        }
        add("hostname", s.hostname.map(OutputNode.string))
        add("image", s.image.map(OutputNode.string))
        add("init", s.initProcess.map(OutputNode.bool))
        add("labels", s.labels.map(plainStrings))
        add("mem_limit", s.memLimit.map { .string(String($0)) })
        add("networks", s.networks.map { nets in
            .map(nets.keys.sorted().map { key in
                let n = nets[key]!
                guard !n.isEmpty else { return (key, .null) }
                var m: [(String, OutputNode)] = []
                if let a = n.aliases { m.append(("aliases", .list(a.map(OutputNode.string)))) }
                if let a = n.ipv4Address { m.append(("ipv4_address", .string(a))) }
                if let a = n.ipv6Address { m.append(("ipv6_address", .string(a))) }
                return (key, .map(m))
            })
        })
        add("ports", s.ports.map { ports in .list(ports.map(render)) })
        add("profiles", strings(s.profiles))
        add("restart", s.restart.map(OutputNode.string))
        add("stdin_open", s.stdinOpen.map(OutputNode.bool))
        add("stop_grace_period", s.stopGracePeriod.map { .string($0.description) })
        add("stop_signal", s.stopSignal.map(OutputNode.string))
        add("tty", s.tty.map(OutputNode.bool))
        add("user", s.user.map(OutputNode.string))
        add("volumes", s.volumes.map { mounts in .list(mounts.map(render)) })
        add("working_dir", s.workingDir.map(OutputNode.string))
        return .map(out)
    }

    static func render(_ p: ServicePort) -> OutputNode {
        var m: [(String, OutputNode)] = []
        if let n = p.name { m.append(("name", .string(n))) }
        m.append(("mode", .string(p.mode)))
        if let h = p.hostIP { m.append(("host_ip", .string(h))) }
        m.append(("target", .int(Int64(p.target))))
        if let pub = p.published { m.append(("published", .string(pub))) }
        m.append(("protocol", .string(p.proto)))
        if let a = p.appProtocol { m.append(("app_protocol", .string(a))) }
        return .map(m)
    }

    static func render(_ v: ServiceVolume) -> OutputNode {
        var m: [(String, OutputNode)] = [("type", .string(v.type.rawValue))]
        if let s = v.source { m.append(("source", .string(s))) }
        m.append(("target", .string(v.target)))
        if v.readOnly { m.append(("read_only", .bool(true))) }
        if let c = v.consistency { m.append(("consistency", .string(c))) }
        switch v.type {
        case .bind:
            var b: [(String, OutputNode)] = []
            if let p = v.propagation { b.append(("propagation", .string(p))) }
            if let c = v.createHostPath { b.append(("create_host_path", .bool(c))) }
            if let s = v.selinux { b.append(("selinux", .string(s))) }
            if !b.isEmpty { m.append(("bind", .map(b))) }
        case .volume:
            var b: [(String, OutputNode)] = []
            if let n = v.noCopy { b.append(("nocopy", .bool(n))) }
            if let s = v.subpath { b.append(("subpath", .string(s))) }
            m.append(("volume", .map(b)))
        case .tmpfs:
            var b: [(String, OutputNode)] = []
            if let s = v.tmpfsSize { b.append(("size", .int(s))) }
            if let mode = v.tmpfsMode { b.append(("mode", .int(Int64(mode)))) }
            if !b.isEmpty { m.append(("tmpfs", .map(b))) }
        }
        return .map(m)
    }

    static func render(_ n: Network) -> OutputNode {
        var m: [(String, OutputNode)] = []
        if let x = n.name { m.append(("name", .string(x))) }
        if let x = n.driver { m.append(("driver", .string(x))) }
        if let x = n.driverOpts { m.append(("driver_opts", plainStrings(x))) }
        if let ipam = n.ipam {
            var i: [(String, OutputNode)] = []
            if let d = ipam.driver { i.append(("driver", .string(d))) }
            if !ipam.config.isEmpty {
                i.append(("config", .list(ipam.config.map { pool in
                    var p: [(String, OutputNode)] = []
                    if let s = pool.subnet { p.append(("subnet", .string(s))) }
                    if let s = pool.gateway { p.append(("gateway", .string(s))) }
                    if let s = pool.ipRange { p.append(("ip_range", .string(s))) }
                    return .map(p)
                })))
            }
            m.append(("ipam", .map(i)))
        }
        if let x = n.external { m.append(("external", .bool(x))) }
        if let x = n.internal { m.append(("internal", .bool(x))) }
        if let x = n.attachable { m.append(("attachable", .bool(x))) }
        if let x = n.labels { m.append(("labels", plainStrings(x))) }
        if let x = n.enableIPv6 { m.append(("enable_ipv6", .bool(x))) }
        return .map(m)
    }

    static func render(_ v: Volume) -> OutputNode {
        var m: [(String, OutputNode)] = []
        if let x = v.name { m.append(("name", .string(x))) }
        if let x = v.driver { m.append(("driver", .string(x))) }
        if let x = v.driverOpts { m.append(("driver_opts", plainStrings(x))) }
        if let x = v.external { m.append(("external", .bool(x))) }
        if let x = v.labels { m.append(("labels", plainStrings(x))) }
        return .map(m)
    }

    static func optionalStrings(_ d: [String: String?]) -> OutputNode {
        .map(d.keys.sorted().map { key in (key, d[key]!.map(OutputNode.string) ?? .null) })
    }

    static func plainStrings(_ d: [String: String]) -> OutputNode {
        .map(d.keys.sorted().map { ($0, .string(d[$0]!)) })
    }
}
