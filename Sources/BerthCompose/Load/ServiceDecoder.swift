/// The keys berth reads from one (interpolated) compose file, typed.
struct ComposeFile {
    var name: String?
    var services: [Service] = []
    var networks: [String: Network] = [:]
    var volumes: [String: Volume] = [:]
    /// Non-fatal notes (an obsolete `version:`).
    var warnings: [String] = []
}

/// Turns one file's YAML into a `ComposeFile`, refusing what the compose specification refuses.
struct FileDecoder {
    let read: NodeReader

    static let topLevelKeys: Set<String> = ["name", "services", "networks", "volumes", "version"]
    static let topLevelUnsupported: Set<String> = ["secrets", "configs", "include", "models"]
    static let serviceKeys: Set<String> = [
        "image", "build", "command", "entrypoint", "environment", "env_file", "ports", "volumes", "networks", "depends_on",
        "restart", "healthcheck", "user", "working_dir", "hostname", "labels", "expose", "container_name", "profiles",
        "stop_signal", "stop_grace_period", "tty", "stdin_open", "init", "cap_add", "cap_drop", "mem_limit", "extra_hosts", "dns",
    ]
    /// The rest of the specification's service keys: refused by name until berth implements them.
    static let serviceUnsupported: Set<String> = [
        "annotations", "attach", "blkio_config", "cgroup", "cgroup_parent", "configs", "cpu_count", "cpu_percent", "cpu_period",
        "cpu_quota", "cpu_rt_period", "cpu_rt_runtime", "cpu_shares", "cpus", "cpuset", "credential_spec", "deploy", "develop",
        "device_cgroup_rules", "devices", "dns_opt", "dns_search", "domainname", "extends", "external_links", "gpus", "group_add",
        "ipc", "isolation", "label_file", "links", "logging", "mac_address", "mem_reservation", "mem_swappiness", "memswap_limit",
        "models", "network_mode", "oom_kill_disable", "oom_score_adj", "pid", "pids_limit", "platform", "post_start", "pre_stop",
        "privileged", "provider", "pull_policy", "read_only", "runtime", "scale", "secrets", "security_opt", "shm_size",
        "storage_opt", "sysctls", "tmpfs", "ulimits", "use_api_socket", "userns_mode", "uts", "volumes_from",
    ]

    func decode(_ root: YAMLNode?) throws -> ComposeFile {
        var file = ComposeFile()
        guard let root else { return file }
        let top = try read.mapping(root, [])
        try read.checkKeys(top, [], allowed: Self.topLevelKeys, unsupported: Self.topLevelUnsupported)
        if top["version"] != nil { file.warnings.append("\(read.file): the attribute `version` is obsolete, it will be ignored, please remove it to avoid potential confusion") }
        if let name = top["name"] { file.name = try read.string(name, ["name"]) }
        if let services = top["services"], services != .scalar(YAMLScalar("", .null)) {
            for entry in try read.mapping(services, ["services"]).entries where !entry.key.hasPrefix("x-") {
                file.services.append(try service(entry.key, entry.value))
            }
        }
        if let networks = top["networks"], networks != .scalar(YAMLScalar("", .null)) {
            for entry in try read.mapping(networks, ["networks"]).entries where !entry.key.hasPrefix("x-") {
                file.networks[entry.key] = try network(entry.value, ["networks", entry.key])
            }
        }
        if let volumes = top["volumes"], volumes != .scalar(YAMLScalar("", .null)) {
            for entry in try read.mapping(volumes, ["volumes"]).entries where !entry.key.hasPrefix("x-") {
                file.volumes[entry.key] = try volume(entry.value, ["volumes", entry.key])
            }
        }
        return file
    }

    // MARK: services

    func service(_ name: String, _ node: YAMLNode) throws -> Service {
        let path = ["services", name]
        var s = Service(name: name)
        if case .scalar(let sc) = node, sc.kind == .null { return s }
        let m = try read.mapping(node, path)
        try read.checkKeys(m, path, allowed: Self.serviceKeys, unsupported: Self.serviceUnsupported)
        for entry in m.entries where !entry.key.hasPrefix("x-") {
            let p = path + [entry.key], v = entry.value
            if case .scalar(let sc) = v, sc.kind == .null, entry.key != "environment" { continue }
            switch entry.key {
            case "image": s.image = try read.string(v, p)
            case "build": s.build = try build(v, p)
            case "command": s.command = try command(v, p)
            case "entrypoint": s.entrypoint = try command(v, p)
            case "environment":
                if case .scalar(let sc) = v, sc.kind == .null { s.environment = [:]; continue }
                s.environment = dictionary(try read.listOrDict(v, p))
            case "env_file": s.envFiles = try envFiles(v, p)
            case "ports": s.ports = try ports(v, p)
            case "volumes": s.volumes = try volumes(v, p)
            case "networks": s.networks = try serviceNetworks(v, p)
            case "depends_on": s.dependsOn = try dependsOn(v, p)
            case "restart":
                let r = try read.string(v, p)
                let policy = r.split(separator: ":", maxSplits: 1)
                let valid = ["no", "always", "unless-stopped"].contains(r)
                    || (policy.first == "on-failure" && (policy.count == 1 || Int(policy[1]).map { $0 >= 0 } == true))
                guard valid else { throw read.fail(p, "must be one of no, always, on-failure[:max-retries], unless-stopped (got \(r.debugDescription))") }
                s.restart = r
            case "healthcheck": s.healthcheck = try healthcheck(v, p)
            case "user": s.user = try read.string(v, p)
            case "working_dir": s.workingDir = try read.string(v, p)
            case "hostname": s.hostname = try read.string(v, p)
            case "container_name": s.containerName = try read.string(v, p)
            case "stop_signal": s.stopSignal = try read.string(v, p)
            case "stop_grace_period": s.stopGracePeriod = try duration(v, p)
            case "labels": s.labels = try stringDictionary(v, p)
            case "expose":
                guard case .sequence(let items) = v else { throw read.fail(p, "must be an array") }
                s.expose = try items.enumerated().map { n, item in
                    let text = try read.stringOrNumber(item, p + [String(n)])
                    let port = text.split(separator: "/", maxSplits: 1)
                    guard let first = port.first, ServicePort.range(String(first)) != nil,
                          port.count == 1 || ["tcp", "udp", "sctp"].contains(port[1].lowercased()) else { throw read.fail(p + [String(n)], "is not a port or port range: \(text.debugDescription)") }
                    return text
                }
            case "profiles":
                s.profiles = try read.stringList(v, p)
                for (n, profile) in s.profiles!.enumerated() where !Self.isValidName(profile, allowDot: true) {
                    throw read.fail(p + [String(n)], "does not match pattern ^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")
                }
            case "tty": s.tty = try read.bool(v, p)
            case "stdin_open": s.stdinOpen = try read.bool(v, p)
            case "init": s.initProcess = try read.bool(v, p)
            case "cap_add": s.capAdd = try read.stringList(v, p)
            case "cap_drop": s.capDrop = try read.stringList(v, p)
            case "mem_limit":
                let text = try read.stringOrNumber(v, p)
                guard let bytes = Self.bytes(text) else { throw read.fail(p, "must be a size like 512m or 2g (got \(text.debugDescription))") }
                s.memLimit = bytes
            case "extra_hosts":
                s.extraHosts = try read.listOrDict(v, p, separators: ["=", ":"]).enumerated().map { n, pair in
                    guard let address = pair.value, !pair.key.isEmpty, !address.isEmpty else {
                        throw read.fail(p + [String(n)], "must be host=address or host:address (got \(pair.key.debugDescription))")
                    }
                    return "\(pair.key)=\(address)"
                }
            case "dns": s.dns = try read.stringOrList(v, p)
            default: break
            }
        }
        return s
    }

    func build(_ v: YAMLNode, _ p: [String]) throws -> Service.Build {
        if case .scalar = v { return Service.Build(context: try read.string(v, p)) }
        let m = try read.mapping(v, p)
        try read.checkKeys(m, p, allowed: ["context", "dockerfile", "args", "target"],
                           unsupported: ["additional_contexts", "cache_from", "cache_to", "dockerfile_inline", "entitlements", "extra_hosts",
                                         "isolation", "labels", "network", "no_cache", "platforms", "privileged", "pull", "secrets",
                                         "shm_size", "ssh", "tags", "ulimits"])
        var b = Service.Build()
        if let c = m["context"] { b.context = try read.string(c, p + ["context"]) }
        if let d = m["dockerfile"] { b.dockerfile = try read.string(d, p + ["dockerfile"]) }
        if let t = m["target"] { b.target = try read.string(t, p + ["target"]) }
        if let a = m["args"] { b.args = dictionary(try read.listOrDict(a, p + ["args"])) }
        return b
    }

    func command(_ v: YAMLNode, _ p: [String]) throws -> [String] {
        if case .scalar(let s) = v, s.kind == .string {
            guard let words = ShellWords.split(s.text) else { throw read.fail(p, "is not a valid command line: unterminated quote or trailing backslash") }
            return words
        }
        guard case .sequence = v else { throw read.fail(p, "must be a string or an array") }
        return try read.stringList(v, p)
    }

    func envFiles(_ v: YAMLNode, _ p: [String]) throws -> [Service.EnvFile] {
        if case .scalar = v { return [Service.EnvFile(path: try read.string(v, p))] }
        guard case .sequence(let items) = v else { throw read.fail(p, "must be a string or an array") }
        return try items.enumerated().map { n, item in
            let ip = p + [String(n)]
            if case .mapping(let m) = item {
                try read.checkKeys(m, ip, allowed: ["path", "required", "format"])
                guard let path = m["path"] else { throw read.fail(ip, "path is required") }
                var file = Service.EnvFile(path: try read.string(path, ip + ["path"]), required: try m["required"].map { try read.bool($0, ip + ["required"]) } ?? true)
                if let f = m["format"] {
                    file.format = try read.string(f, ip + ["format"])
                    guard file.format == "raw" else { throw read.fail(ip + ["format"], "must be raw (the only env_file format besides the default one; leave format out for that)") }
                }
                return file
            }
            return Service.EnvFile(path: try read.string(item, ip))
        }
    }

    func ports(_ v: YAMLNode, _ p: [String]) throws -> [ServicePort] {
        guard case .sequence(let items) = v else { throw read.fail(p, "must be an array") }
        var out: [ServicePort] = []
        for (n, item) in items.enumerated() {
            let ip = p + [String(n)]
            if case .mapping(let m) = item {
                try read.checkKeys(m, ip, allowed: ["target", "published", "host_ip", "protocol", "mode", "name", "app_protocol"])
                guard let t = m["target"] else { throw read.fail(ip, "target is required") }
                let target = try read.int(t, ip + ["target"])
                guard (1...65535).contains(target) else { throw read.fail(ip + ["target"], "must be a port between 1 and 65535") }
                var port = ServicePort(target: target)
                if let pub = m["published"] {
                    let text = try read.stringOrNumber(pub, ip + ["published"])
                    guard ServicePort.range(text) != nil else { throw read.fail(ip + ["published"], "must be a port or a port range (got \(text.debugDescription))") }
                    port.published = text
                }
                if let h = m["host_ip"] {
                    port.hostIP = try read.string(h, ip + ["host_ip"])
                    guard ServicePort.isIPAddress(port.hostIP!) else { throw read.fail(ip + ["host_ip"], "must be an IP address") }
                }
                if let pr = m["protocol"] {
                    port.proto = try read.string(pr, ip + ["protocol"]).lowercased()
                    guard ["tcp", "udp", "sctp"].contains(port.proto) else { throw read.fail(ip + ["protocol"], "must be tcp, udp or sctp") }
                }
                if let mo = m["mode"] {
                    port.mode = try read.string(mo, ip + ["mode"])
                    guard ["ingress", "host"].contains(port.mode) else { throw read.fail(ip + ["mode"], "must be ingress or host") }
                }
                if let na = m["name"] { port.name = try read.string(na, ip + ["name"]) }
                if let ap = m["app_protocol"] { port.appProtocol = try read.string(ap, ip + ["app_protocol"]) }
                out.append(port)
                continue
            }
            let spec = try read.stringOrNumber(item, ip)
            switch ServicePort.parse(spec) {
            case .success(let ports): out += ports
            case .failure(let problem): throw read.fail(ip, "is not a valid port: \(problem.text)")
            }
        }
        return out
    }

    func volumes(_ v: YAMLNode, _ p: [String]) throws -> [ServiceVolume] {
        guard case .sequence(let items) = v else { throw read.fail(p, "must be an array") }
        return try items.enumerated().map { n, item in
            let ip = p + [String(n)]
            if case .mapping(let m) = item { return try longVolume(m, ip) }
            return try shortVolume(try read.string(item, ip), ip)
        }
    }

    /// `[SOURCE:]TARGET[:MODE]`: a source that starts with `/`, `.` or `~` is a bind mount, any
    /// other a named volume; no source is an anonymous volume.
    func shortVolume(_ spec: String, _ p: [String]) throws -> ServiceVolume {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard (1...3).contains(parts.count), !parts.contains(where: \.isEmpty) else { throw read.fail(p, "is not a valid volume: \(spec.debugDescription)") }
        if parts.count == 1 {
            guard parts[0].hasPrefix("/") else { throw read.fail(p, "is not a valid volume: the target \(parts[0].debugDescription) is not an absolute path") }
            return ServiceVolume(type: .volume, source: nil, target: parts[0])
        }
        let source = parts[0], target = parts[1]
        guard target.hasPrefix("/") else { throw read.fail(p, "is not a valid volume: the target \(target.debugDescription) is not an absolute path") }
        let isBind = source.hasPrefix("/") || source.hasPrefix(".") || source.hasPrefix("~")
        if !isBind, !Self.isValidName(source, allowDot: true) { throw read.fail(p, "is not a valid volume: \(source.debugDescription) is neither a path (/, ./, ~) nor a volume name") }
        var volume = ServiceVolume(type: isBind ? .bind : .volume, source: source, target: target)
        if isBind { volume.createHostPath = true }
        if parts.count == 3 {
            for option in parts[2].split(separator: ",") {
                switch option {
                case "ro": volume.readOnly = true
                case "rw": volume.readOnly = false
                case "z", "Z": volume.selinux = String(option)
                case "nocopy": volume.noCopy = true
                case "cached", "delegated", "consistent": volume.consistency = String(option)
                case "shared", "rshared", "slave", "rslave", "private", "rprivate": volume.propagation = String(option)
                default: throw read.fail(p, "is not a valid volume: unknown mode \(String(option).debugDescription)")
                }
            }
        }
        if isBind, volume.noCopy == true {
            throw read.fail(p, "is not a valid volume: nocopy applies to named volumes, not to the bind mount of \(source.debugDescription)")
        }
        return volume
    }

    func longVolume(_ m: YAMLMapping, _ p: [String]) throws -> ServiceVolume {
        try read.checkKeys(m, p, allowed: ["type", "source", "target", "read_only", "bind", "volume", "tmpfs", "consistency"])
        guard let t = m["type"] else { throw read.fail(p, "type is required") }
        let typeName = try read.string(t, p + ["type"])
        guard let type = ServiceVolume.Kind(rawValue: typeName) else {
            if ["npipe", "cluster", "image"].contains(typeName) { throw ComposeError.unsupported(file: read.file, path: (p + ["type"]).joined(separator: ".") + " \(typeName)") }
            throw read.fail(p + ["type"], "must be one of bind, volume, tmpfs")
        }
        guard let tg = m["target"] else { throw read.fail(p, "target is required") }
        var volume = ServiceVolume(type: type, source: nil, target: try read.string(tg, p + ["target"]))
        guard volume.target.hasPrefix("/") else { throw read.fail(p + ["target"], "must be an absolute path") }
        if let s = m["source"] { volume.source = try read.string(s, p + ["source"]) }
        if type == .bind && volume.source == nil { throw read.fail(p, "source is required for a bind mount") }
        if type == .tmpfs && volume.source != nil { throw read.fail(p + ["source"], "is not allowed for a tmpfs mount") }
        if let r = m["read_only"] { volume.readOnly = try read.bool(r, p + ["read_only"]) }
        if let c = m["consistency"] { volume.consistency = try read.string(c, p + ["consistency"]) }
        // Options of another type of mount would be dropped: refused instead, as compose does.
        for (key, only) in [("bind", ServiceVolume.Kind.bind), ("volume", .volume), ("tmpfs", .tmpfs)] where m[key] != nil && type != only {
            throw read.fail(p + [key], "options are incompatible with type \(typeName)")
        }
        if let b = m["bind"] {
            let bp = p + ["bind"], bm = try read.mapping(b, bp)
            try read.checkKeys(bm, bp, allowed: ["propagation", "create_host_path", "selinux"])
            if let x = bm["propagation"] { volume.propagation = try read.string(x, bp + ["propagation"]) }
            if let x = bm["create_host_path"] { volume.createHostPath = try read.bool(x, bp + ["create_host_path"]) }
            if let x = bm["selinux"] {
                volume.selinux = try read.string(x, bp + ["selinux"])
                guard ["z", "Z"].contains(volume.selinux!) else { throw read.fail(bp + ["selinux"], "must be z or Z") }
            }
        }
        if let v = m["volume"] {
            let vp = p + ["volume"], vm = try read.mapping(v, vp)
            try read.checkKeys(vm, vp, allowed: ["nocopy", "subpath"])
            if let x = vm["nocopy"] { volume.noCopy = try read.bool(x, vp + ["nocopy"]) }
            if let x = vm["subpath"] { volume.subpath = try read.string(x, vp + ["subpath"]) }
        }
        if let t = m["tmpfs"] {
            let tp = p + ["tmpfs"], tm = try read.mapping(t, tp)
            try read.checkKeys(tm, tp, allowed: ["size", "mode"])
            if let x = tm["size"] {
                let text = try read.stringOrNumber(x, tp + ["size"])
                guard let size = Self.bytes(text) else { throw read.fail(tp + ["size"], "must be a size like 64m") }
                volume.tmpfsSize = size
            }
            if let x = tm["mode"] { volume.tmpfsMode = try read.int(x, tp + ["mode"]) }
        }
        return volume
    }

    func serviceNetworks(_ v: YAMLNode, _ p: [String]) throws -> [String: Service.ServiceNetwork] {
        var out: [String: Service.ServiceNetwork] = [:]
        switch v {
        case .sequence:
            for name in try read.stringList(v, p) { out[name] = Service.ServiceNetwork() }
        case .mapping(let m):
            for entry in m.entries {
                let np = p + [entry.key]
                if case .scalar(let s) = entry.value, s.kind == .null { out[entry.key] = Service.ServiceNetwork(); continue }
                let nm = try read.mapping(entry.value, np)
                try read.checkKeys(nm, np, allowed: ["aliases", "ipv4_address", "ipv6_address"],
                                   unsupported: ["driver_opts", "gw_priority", "interface_name", "link_local_ips", "mac_address", "priority"])
                var n = Service.ServiceNetwork()
                if let a = nm["aliases"] { n.aliases = try read.stringList(a, np + ["aliases"]) }
                if let a = nm["ipv4_address"] {
                    n.ipv4Address = try read.string(a, np + ["ipv4_address"])
                    guard n.ipv4Address!.split(separator: ".").count == 4, ServicePort.isIPAddress(n.ipv4Address!) else { throw read.fail(np + ["ipv4_address"], "must be an IPv4 address") }
                }
                if let a = nm["ipv6_address"] { n.ipv6Address = try read.string(a, np + ["ipv6_address"]) }
                out[entry.key] = n
            }
        default:
            throw read.fail(p, "must be a mapping or an array")
        }
        return out
    }

    func dependsOn(_ v: YAMLNode, _ p: [String]) throws -> [String: Service.Dependency] {
        var out: [String: Service.Dependency] = [:]
        switch v {
        case .sequence:
            for name in try read.stringList(v, p) { out[name] = Service.Dependency() }
        case .mapping(let m):
            for entry in m.entries {
                let dp = p + [entry.key], dm = try read.mapping(entry.value, dp)
                try read.checkKeys(dm, dp, allowed: ["condition", "required", "restart"])
                var d = Service.Dependency()
                guard let c = dm["condition"] else { throw read.fail(dp, "condition is required") }
                d.condition = try read.string(c, dp + ["condition"])
                guard ["service_started", "service_healthy", "service_completed_successfully"].contains(d.condition) else {
                    throw read.fail(dp + ["condition"], "must be one of service_started, service_healthy, service_completed_successfully")
                }
                if let r = dm["required"] { d.required = try read.bool(r, dp + ["required"]) }
                if let r = dm["restart"] { d.restart = try read.bool(r, dp + ["restart"]) }
                out[entry.key] = d
            }
        default:
            throw read.fail(p, "must be a mapping or an array")
        }
        return out
    }

    func healthcheck(_ v: YAMLNode, _ p: [String]) throws -> Service.Healthcheck {
        let m = try read.mapping(v, p)
        try read.checkKeys(m, p, allowed: ["test", "interval", "timeout", "start_period", "start_interval", "retries", "disable"])
        var h = Service.Healthcheck()
        if let t = m["test"] {
            if case .scalar(let s) = t, s.kind == .string {
                h.test = ["CMD-SHELL", s.text]
            } else {
                h.test = try read.stringList(t, p + ["test"])
                guard let first = h.test!.first, ["NONE", "CMD", "CMD-SHELL"].contains(first) else {
                    throw read.fail(p + ["test"], "must start with NONE, CMD or CMD-SHELL")
                }
            }
        }
        if let x = m["interval"] { h.interval = try duration(x, p + ["interval"]) }
        if let x = m["timeout"] { h.timeout = try duration(x, p + ["timeout"]) }
        if let x = m["start_period"] { h.startPeriod = try duration(x, p + ["start_period"]) }
        if let x = m["start_interval"] { h.startInterval = try duration(x, p + ["start_interval"]) }
        if let x = m["retries"] {
            h.retries = try read.int(x, p + ["retries"])
            guard h.retries! >= 0 else { throw read.fail(p + ["retries"], "must be at least 0") }
        }
        if let x = m["disable"] { h.disable = try read.bool(x, p + ["disable"]) }
        return h
    }

    // MARK: top level

    func network(_ v: YAMLNode, _ p: [String]) throws -> Network {
        var n = Network()
        if case .scalar(let s) = v, s.kind == .null { return n }
        let m = try read.mapping(v, p)
        try read.checkKeys(m, p, allowed: ["name", "driver", "driver_opts", "external", "labels", "internal", "attachable", "enable_ipv6", "ipam"],
                           unsupported: ["enable_ipv4"])
        if let x = m["name"] { n.name = try read.string(x, p + ["name"]) }
        if let x = m["driver"] { n.driver = try read.string(x, p + ["driver"]) }
        if let x = m["driver_opts"] { n.driverOpts = try stringDictionary(x, p + ["driver_opts"]) }
        if let x = m["external"] { n.external = try external(x, p + ["external"], name: &n.name) }
        if let x = m["labels"] { n.labels = try stringDictionary(x, p + ["labels"]) }
        if let x = m["internal"] { n.internal = try read.bool(x, p + ["internal"]) }
        if let x = m["attachable"] { n.attachable = try read.bool(x, p + ["attachable"]) }
        if let x = m["enable_ipv6"] { n.enableIPv6 = try read.bool(x, p + ["enable_ipv6"]) }
        if let x = m["ipam"] {
            let ip = p + ["ipam"], im = try read.mapping(x, ip)
            try read.checkKeys(im, ip, allowed: ["driver", "config"], unsupported: ["options"])
            var ipam = Network.IPAM(config: [])
            if let d = im["driver"] { ipam.driver = try read.string(d, ip + ["driver"]) }
            if let c = im["config"] {
                guard case .sequence(let pools) = c else { throw read.fail(ip + ["config"], "must be an array") }
                for (k, pool) in pools.enumerated() {
                    let pp = ip + ["config", String(k)], pm = try read.mapping(pool, pp)
                    try read.checkKeys(pm, pp, allowed: ["subnet", "gateway", "ip_range"], unsupported: ["aux_addresses"])
                    var entry = Network.IPAM.Pool()
                    if let s = pm["subnet"] { entry.subnet = try read.string(s, pp + ["subnet"]) }
                    if let s = pm["gateway"] { entry.gateway = try read.string(s, pp + ["gateway"]) }
                    if let s = pm["ip_range"] { entry.ipRange = try read.string(s, pp + ["ip_range"]) }
                    ipam.config.append(entry)
                }
            }
            n.ipam = ipam
        }
        if n.external == true, n.driver != nil || n.ipam != nil {
            throw read.fail(p, "conflicting parameters \"external\" and \"driver\"/\"ipam\" specified")
        }
        return n
    }

    func volume(_ v: YAMLNode, _ p: [String]) throws -> Volume {
        var vol = Volume()
        if case .scalar(let s) = v, s.kind == .null { return vol }
        let m = try read.mapping(v, p)
        try read.checkKeys(m, p, allowed: ["name", "driver", "driver_opts", "external", "labels"])
        if let x = m["name"] { vol.name = try read.string(x, p + ["name"]) }
        if let x = m["driver"] { vol.driver = try read.string(x, p + ["driver"]) }
        if let x = m["driver_opts"] { vol.driverOpts = try stringDictionary(x, p + ["driver_opts"]) }
        if let x = m["external"] { vol.external = try external(x, p + ["external"], name: &vol.name) }
        if let x = m["labels"] { vol.labels = try stringDictionary(x, p + ["labels"]) }
        if vol.external == true, vol.driver != nil || vol.driverOpts != nil {
            throw read.fail(p, "conflicting parameters \"external\" and \"driver\" specified")
        }
        return vol
    }

    /// `external: true` or the legacy `external: {name: x}`.
    func external(_ v: YAMLNode, _ p: [String], name: inout String?) throws -> Bool {
        if case .mapping(let m) = v {
            try read.checkKeys(m, p, allowed: ["name"])
            if let x = m["name"] { name = try read.string(x, p + ["name"]) }
            return true
        }
        return try read.bool(v, p)
    }

    // MARK: helpers

    func duration(_ v: YAMLNode, _ p: [String]) throws -> Duration {
        let text = try read.string(v, p)
        guard let d = Duration(parsing: text) else { throw read.fail(p, "must be a duration like 30s or 1m30s (got \(text.debugDescription))") }
        return d
    }

    func dictionary(_ pairs: [(key: String, value: String?)]) -> [String: String?] {
        var out: [String: String?] = [:]
        for pair in pairs { out[pair.key] = .some(pair.value) }
        return out
    }

    func stringDictionary(_ v: YAMLNode, _ p: [String]) throws -> [String: String] {
        var out: [String: String] = [:]
        for pair in try read.listOrDict(v, p) { out[pair.key] = pair.value ?? "" }
        return out
    }

    /// Docker's `RAMInBytes`: a number with an optional k/m/g/t/p (binary) and b/ib suffix.
    static func bytes(_ text: String) -> Int64? {
        var s = Substring(text.lowercased()).trimmingCharacters(in: .whitespaces)[...]
        if s.hasSuffix("ib") { s = s.dropLast(2) } else if s.hasSuffix("b") { s = s.dropLast() }
        var factor: Double = 1
        if let unit = s.last, let power = "kmgtp".firstIndex(of: unit) {
            factor = pow1024("kmgtp".distance(from: "kmgtp".startIndex, to: power) + 1)
            s = s.dropLast()
        }
        s = s[...].drop { $0 == " " }
        guard !s.isEmpty, s.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), let value = Double(s) else { return nil }
        let total = value * factor
        guard total < 9.2e18 else { return nil }
        return Int64(total)
    }

    private static func pow1024(_ n: Int) -> Double { (0..<n).reduce(1.0) { r, _ in r * 1024 } }

    /// Compose's names for volumes, networks, profiles: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
    static func isValidName(_ s: String, allowDot: Bool) -> Bool {
        guard let first = s.first, first.isASCII, first.isLetter || first.isNumber else { return false }
        return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || (allowDot && $0 == ".")) }
    }
}
