/// The compose specification's merge rules for a later file (`-f base -f override`): scalars
/// are replaced, mappings (environment, labels, build args, networks, depends_on, healthcheck,
/// build) merged key by key, `command`/`entrypoint`/`healthcheck.test` replaced, sequences
/// appended, ports kept unique, volumes unique by target (the later one wins).
extension Service {
    func merged(with o: Service) -> Service {
        var s = self
        s.image = o.image ?? image
        if let b = o.build {
            var merged = build ?? Build()
            merged.context = b.context ?? merged.context
            merged.dockerfile = b.dockerfile ?? merged.dockerfile
            merged.target = b.target ?? merged.target
            merged.args = Self.merge(merged.args, b.args)
            s.build = merged
        }
        s.command = o.command ?? command
        s.entrypoint = o.entrypoint ?? entrypoint
        s.environment = Self.merge(environment, o.environment)
        s.envFiles = Self.append(envFiles, o.envFiles)
        if let ports = o.ports {
            var all = self.ports ?? []
            for p in ports where !all.contains(p) { all.append(p) }
            s.ports = all
        }
        if let volumes = o.volumes {
            var all = self.volumes ?? []
            for v in volumes {
                if let i = all.firstIndex(where: { $0.target == v.target }) { all[i] = v } else { all.append(v) }
            }
            s.volumes = all
        }
        s.networks = Self.merge(networks, o.networks)
        s.dependsOn = Self.merge(dependsOn, o.dependsOn)
        s.restart = o.restart ?? restart
        if let h = o.healthcheck {
            var m = healthcheck ?? Healthcheck()
            m.test = h.test ?? m.test
            m.interval = h.interval ?? m.interval
            m.timeout = h.timeout ?? m.timeout
            m.startPeriod = h.startPeriod ?? m.startPeriod
            m.startInterval = h.startInterval ?? m.startInterval
            m.retries = h.retries ?? m.retries
            m.disable = h.disable ?? m.disable
            s.healthcheck = m
        }
        s.user = o.user ?? user
        s.workingDir = o.workingDir ?? workingDir
        s.hostname = o.hostname ?? hostname
        s.labels = Self.merge(labels, o.labels)
        s.expose = Self.appendUnique(expose, o.expose)
        s.containerName = o.containerName ?? containerName
        s.profiles = Self.appendUnique(profiles, o.profiles)
        s.stopSignal = o.stopSignal ?? stopSignal
        s.stopGracePeriod = o.stopGracePeriod ?? stopGracePeriod
        s.tty = o.tty ?? tty
        s.stdinOpen = o.stdinOpen ?? stdinOpen
        s.initProcess = o.initProcess ?? initProcess
        s.capAdd = Self.appendUnique(capAdd, o.capAdd)
        s.capDrop = Self.appendUnique(capDrop, o.capDrop)
        s.memLimit = o.memLimit ?? memLimit
        if let hosts = o.extraHosts {
            // By host name: the later address wins.
            var all = extraHosts ?? []
            for h in hosts {
                let host = h.prefix { $0 != "=" }
                if let i = all.firstIndex(where: { $0.prefix { $0 != "=" } == host }) { all[i] = h } else { all.append(h) }
            }
            s.extraHosts = all
        }
        s.dns = o.dns ?? dns
        return s
    }

    static func merge<V>(_ a: [String: V]?, _ b: [String: V]?) -> [String: V]? {
        guard let b else { return a }
        return (a ?? [:]).merging(b) { _, new in new }
    }

    static func append<T>(_ a: [T]?, _ b: [T]?) -> [T]? {
        guard let b else { return a }
        return (a ?? []) + b
    }

    static func appendUnique<T: Equatable>(_ a: [T]?, _ b: [T]?) -> [T]? {
        guard let b else { return a }
        var all = a ?? []
        for x in b where !all.contains(x) { all.append(x) }
        return all
    }
}

extension Network {
    func merged(with o: Network) -> Network {
        var n = self
        n.name = o.name ?? name
        n.driver = o.driver ?? driver
        n.driverOpts = Service.merge(driverOpts, o.driverOpts)
        n.external = o.external ?? external
        n.labels = Service.merge(labels, o.labels)
        n.internal = o.internal ?? self.internal
        n.attachable = o.attachable ?? attachable
        n.enableIPv6 = o.enableIPv6 ?? enableIPv6
        n.ipam = o.ipam ?? ipam
        return n
    }
}

extension Volume {
    func merged(with o: Volume) -> Volume {
        var v = self
        v.name = o.name ?? name
        v.driver = o.driver ?? driver
        v.driverOpts = Service.merge(driverOpts, o.driverOpts)
        v.external = o.external ?? external
        v.labels = Service.merge(labels, o.labels)
        return v
    }
}
