extension MountPoint {
    /// `-v` mode words Docker accepts on Linux; at most one of each group.
    private static let modeGroups: [Set<String>] = [
        ["rw", "ro"], ["z", "Z"], ["private", "rprivate", "slave", "rslave", "shared", "rshared"], ["nocopy"],
        ["consistent", "cached", "delegated"],
    ]

    static func isValidMode(_ mode: String) -> Bool {
        if mode.isEmpty { return true }
        var counts = [Int](repeating: 0, count: modeGroups.count)
        for word in mode.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            guard let g = modeGroups.firstIndex(where: { $0.contains(word) }) else { return false }
            counts[g] += 1
        }
        return counts.allSatisfy { $0 <= 1 }
    }

    /// One `Binds` entry (`-v`), by Docker's Linux rules: `/host:/ctr[:mode]` is a bind,
    /// `name:/ctr[:mode]` a named volume, `/ctr` alone an anonymous volume.
    static func parse(bind raw: String) throws(EngineError) -> MountPoint {
        let parts = raw.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
        let invalidSpec = "invalid volume specification: '\(raw)'"
        var source = "", target = "", mode = ""
        switch parts.count {
        case 1: target = parts[0]
        case 2:
            // `/foo:rw` names no source: a volume cannot carry a mode without one.
            if isValidMode(parts[1]) { throw EngineError(.invalid, invalidSpec) }
            (source, target) = (parts[0], parts[1])
        case 3: (source, target, mode) = (parts[0], parts[1], parts[2])
        default: throw EngineError(.invalid, invalidSpec)
        }
        guard isValidMode(mode) else { throw EngineError(.invalid, "invalid mode: \(mode)") }
        let words = Set(mode.split(separator: ",").map(String.init))
        let readOnly = words.contains("ro")
        let propagation = words.first { modeGroups[2].contains($0) }
        let isBind = source.hasPrefix("/")
        let kind = isBind ? "bind" : "volume"
        guard !target.isEmpty else { throw EngineError(.invalid, "\(invalidSpec): invalid mount config for type \"\(kind)\": field Target must not be empty") }
        guard let destination = clean(target) else {
            throw EngineError(.invalid, "\(invalidSpec): invalid mount config for type \"\(kind)\": invalid mount path: '\(target)' mount path must be absolute")
        }
        guard destination != "/" else { throw EngineError(.invalid, "\(invalidSpec): invalid specification: destination can't be '/'") }
        if isBind {
            if words.contains("nocopy") {
                throw EngineError(.invalid, "\(invalidSpec): invalid mount config for type \"bind\": field VolumeOptions must not be specified")
            }
            return MountPoint(type: .bind, source: clean(source) ?? source, destination: destination, readOnly: readOnly,
                              mode: mode, propagation: propagation ?? "rprivate", createsSource: true)
        }
        if propagation != nil {
            throw EngineError(.invalid, "\(invalidSpec): invalid mount config for type \"volume\": field BindOptions must not be specified")
        }
        if source.isEmpty && readOnly {
            throw EngineError(.invalid, "\(invalidSpec): invalid mount config for type \"volume\": must not set ReadOnly mode when using anonymous volumes")
        }
        if !source.isEmpty { try Volume.validate(source) }
        return MountPoint(type: .volume, name: source.isEmpty ? nil : source, destination: destination, readOnly: readOnly,
                          mode: mode.isEmpty ? "z" : mode, copyData: !words.contains("nocopy"), anonymous: source.isEmpty)
    }

    /// One `Mounts` entry (`--mount`), with the labels to give a volume it creates.
    static func parse(mount m: DockerHostConfig.MountSpec) throws(EngineError) -> (MountPoint, labels: [String: String]?) {
        let type = m.Type ?? ""
        let invalid = "invalid mount config for type \"\(type)\""
        guard let target = m.Target, !target.isEmpty else { throw EngineError(.invalid, "\(invalid): field Target must not be empty") }
        guard let destination = clean(target) else {
            throw EngineError(.invalid, "\(invalid): invalid mount path: '\(target)' mount path must be absolute")
        }
        guard destination != "/" else { throw EngineError(.invalid, "invalid specification: destination can't be '/'") }
        let readOnly = m.ReadOnly ?? false
        switch type {
        case "bind":
            if m.VolumeOptions != nil { throw EngineError(.invalid, "\(invalid): field VolumeOptions must not be specified") }
            guard let src = m.Source, !src.isEmpty else { throw EngineError(.invalid, "\(invalid): field Source must not be empty") }
            guard let source = clean(src) else { throw EngineError(.invalid, "\(invalid): invalid mount path: '\(src)' mount path must be absolute") }
            return (MountPoint(type: .bind, source: source, destination: destination, readOnly: readOnly, propagation: "rprivate"), nil)
        case "volume":
            let source = m.Source ?? ""
            if source.isEmpty && readOnly { throw EngineError(.invalid, "\(invalid): must not set ReadOnly mode when using anonymous volumes") }
            if !source.isEmpty { try Volume.validate(source) }
            let opts = m.VolumeOptions
            try checkDriver(opts?.DriverConfig?.Name, options: opts?.DriverConfig?.Options)
            if let sub = opts?.Subpath, !sub.isEmpty {
                throw EngineError(.invalid, "volume-subpath is not supported by berthd yet; mount the whole volume (\(source)) instead")
            }
            let point = MountPoint(type: .volume, name: source.isEmpty ? nil : source, destination: destination, readOnly: readOnly,
                                   mode: "z", copyData: !(opts?.NoCopy ?? false), anonymous: source.isEmpty)
            return (point, opts?.Labels)
        case "tmpfs":
            if let s = m.Source, !s.isEmpty { throw EngineError(.invalid, "\(invalid): field Source must not be specified") }
            var opts = ["nosuid", "nodev"]
            if let s = m.TmpfsOptions?.SizeBytes, s > 0 { opts.append("size=\(s)") }
            if let mode = m.TmpfsOptions?.Mode, mode > 0 { opts.append("mode=\(String(mode, radix: 8))") }
            return (MountPoint(type: .tmpfs, destination: destination, readOnly: readOnly, tmpfsOptions: opts), nil)
        default:
            throw EngineError(.invalid, "mount type \"\(type)\" is not supported by berthd; use bind, volume or tmpfs")
        }
    }

    /// Only the local driver without options exists here; anything else is refused by name
    /// rather than quietly giving the user a different kind of volume.
    static func checkDriver(_ driver: String?, options: [String: String]?) throws(EngineError) {
        if let d = driver, !d.isEmpty, d != Volume.localDriver {
            throw EngineError(.invalid, "volume driver \"\(d)\" is not supported by berthd: only the local driver is built in")
        }
        if let o = options, !o.isEmpty {
            throw EngineError(.invalid, "volume driver options are not supported by berthd (got \(o.keys.sorted().joined(separator: ", "))): local volumes are plain directories under the data root; bind-mount a host path for other storage")
        }
    }
}
