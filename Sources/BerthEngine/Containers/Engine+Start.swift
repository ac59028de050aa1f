import BerthOCI
import BerthRuntime
import BerthStore
import Foundation
import Glibc
import Synchronization

extension Engine {
    /// The control socket of a container's shim. Kept short: unix socket paths are limited to 107 bytes.
    func shimSocket(_ id: String) -> String { "\(execRoot)/shims/\(id.prefix(16)).sock" }

    func shim(_ id: String) -> ShimClient { ShimClient(socketPath: shimSocket(id)) }

    /// `POST /containers/{id}/start`. Returns false when it was already running (Docker's 304).
    /// A restart policy's own restarts keep the restart count and backoff (`resetRestartPolicy` false).
    public func startContainer(_ ref: String, resetRestartPolicy: Bool = true) async throws -> Bool {
        let id = try await containers.find(ref).id
        return try await filesystemLocks.withLock(id) {
            try await self.startUnlocked(ref, resetRestartPolicy: resetRestartPolicy)
        }
    }

    private func startUnlocked(_ ref: String, resetRestartPolicy: Bool) async throws -> Bool {
        var record = try await containers.find(ref)
        if resetRestartPolicy, !(try await prepareUserStart(record)) { return false }
        if await events.isRunning(record.id) { return false }
        record = try await fillVolumes(record)
        let bundle = containers.bundle(record.id)
        let shimPid: Int32, reportFD: Int32
        do {
            record = try await connectNetworks(record)
            var spec = try await containerSpec(record, bundle: bundle)
            spec.diskReserve = "\(dataRoot)/\(DiskReserve.fileName)"
            let e = JSONEncoder()
            e.outputFormatting = [.sortedKeys]
            try FileSystem.writeAtomically(try e.encode(spec), to: "\(bundle)/spec.json", mode: 0o600)
            unlink("\(bundle)/state.json")
            let socket = shimSocket(record.id)
            (shimPid, reportFD) = try await Blocking.run { [shimExecutable] in try Self.spawnShim(shimExecutable, bundle: bundle, socket: socket) }
        } catch {
            // Nothing ran: waiters (`docker run`'s attach and wait) learn it, and `--rm` removes
            // the container, as Docker does when a start fails.
            await disconnectNetworks(record.id)
            await events.exited(record.id, code: 128)
            if record.hostConfig.AutoRemove == true { await forget(record, removeAnonymousVolumes: true) }
            throw error
        }
        let reportTask = Task { try await Blocking.run { try Self.readReport(fd: reportFD, bundle: bundle) } }
        _ = try await containers.update(record.id) { $0.shimPid = shimPid }
        // The shim holds the process until `start`: attaches that came first connect now, so
        // they see every byte even of a container that exits at once.
        let client = shim(record.id)
        if await waitListening(client, shimPid: shimPid) {
            let early = await events.shimReady(record.id)
            var waited = 0
            while waited < 2000, await events.attachedCount(record.id) < early {
                try? await Task.sleep(nanoseconds: 1_000_000)
                waited += 1
            }
            _ = try? await client.call(.start)
        }
        let report = try await reportTask.value
        guard report.pid != nil else {
            let code = report.exitCode ?? 125
            await events.exited(record.id, code: code)
            await handleExit(record.id, restart: false)
            throw EngineError(code == 125 ? .internalError : .invalid,
                              "failed to create task for container: \(report.error ?? "the shim did not start the process"): unknown")
        }
        await events.started(record.id)
        await emit("start", record)
        watch(record.id)
        await startHealthMonitor(record.id)
        return true
    }

    /// Waits until the new shim answers on its socket (false if it exited first).
    func waitListening(_ client: ShimClient, shimPid: Int32) async -> Bool {
        for _ in 0..<2500 {
            if (try? await client.call(.state)) != nil { return true }
            if kill(shimPid, 0) != 0 { return false }
            try? await Task.sleep(nanoseconds: 2_000_000)
        }
        return false
    }

    /// Starts berth-shim detached (own session), holding the container until `start`. Returns its
    /// pid and the read end of the pipe its start report will come on.
    static func spawnShim(_ shim: ShimExecutable, bundle: String, socket: String) throws -> (pid: Int32, reportFD: Int32) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw EngineError(.internalError, "pipe: \(String(cString: strerror(errno)))") }
        // Close-on-exec, so no other child berthd spawns meanwhile inherits the shim's pipe.
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "\(bundle)/shim.log", O_WRONLY | O_CREAT | O_APPEND, 0o600)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // POSIX_SPAWN_SETSID (0x80): the shim leaves berthd's session and outlives it.
        posix_spawnattr_setflags(&attr, Int16(0x80))
        let argv = [shim.path, "--bundle", bundle, "--socket", socket, "--wait-for-start"]
        var cargs = argv.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        var pid: pid_t = 0
        let rc = shim.environment.withUnsafeBufferPointer { env in
            posix_spawn(&pid, shim.executable, &actions, &attr, &cargs, UnsafeMutablePointer(mutating: env.baseAddress))
        }
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            throw EngineError(.internalError, "cannot start berth-shim at \(shim.path): \(String(cString: strerror(rc))); install it next to berthd")
        }
        shimChildren.withLock { _ = $0.insert(pid) }
        return (pid, fds[0])
    }

    /// The shims this berthd started (its children until they exit).
    static let shimChildren = Mutex<Set<pid_t>>([])

    /// Reaps the shims that exited. berthd's SIGCHLD handler calls this rather than reaping
    /// every child, so programs berthd runs and waits for (ps, iptables) keep their exit status.
    public static func reapShims() {
        shimChildren.withLock { pids in
            for pid in pids {
                let r = waitpid(pid, nil, WNOHANG)
                if r == pid || (r < 0 && errno == ECHILD) { pids.remove(pid) }
            }
        }
    }

    /// Reads the shim's one-line start report and closes the pipe.
    static func readReport(fd: Int32, bundle: String) throws -> ShimStartReport {
        defer { close(fd) }
        var data = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buf, buf.count)
            if n < 0 { if errno == EINTR { continue }; break }
            if n == 0 { break }
            data.append(contentsOf: buf[0..<n])
            if data.contains(0x0a) { break }
        }
        guard let report = try? JSONDecoder().decode(ShimStartReport.self, from: Data(data.prefix { $0 != 0x0a })) else {
            let log = (try? String(contentsOfFile: "\(bundle)/shim.log", encoding: .utf8)) ?? ""
            throw EngineError(.internalError, "berth-shim exited without a start report; its log says: \(log.suffix(500))")
        }
        return report
    }

    /// The fully resolved spec the shim runs.
    func containerSpec(_ r: ContainerRecord, bundle: String) async throws -> ContainerSpec {
        let h = r.hostConfig, c = r.config
        let privileged = h.Privileged ?? false
        let hostname = (c.Hostname ?? "").isEmpty ? r.shortID : (c.Hostname ?? r.shortID)
        var env = c.Env ?? []
        if !env.contains(where: { $0.hasPrefix("PATH=") }) { env.insert(Defaults.path, at: 0) }
        env.removeAll { $0.hasPrefix("HOSTNAME=") }
        env.insert("HOSTNAME=\(hostname)", at: 1)
        if r.tty && !env.contains(where: { $0.hasPrefix("TERM=") }) { env.append("TERM=xterm") }
        let links = try await resolveLinks(r)
        env += Self.linkEnvironment(links, linker: r.name)
        var process = ProcessSpec(args: [r.path] + r.args, env: env, cwd: (c.WorkingDir ?? "").isEmpty ? "/" : (c.WorkingDir ?? "/"),
                                  user: c.User ?? "", capabilities: try Defaults.capabilities(add: h.CapAdd ?? [], drop: h.CapDrop ?? [], privileged: privileged))
        process.additionalGroups = h.GroupAdd ?? []
        process.terminal = r.tty
        process.openStdin = c.OpenStdin ?? false
        process.stdinOnce = c.StdinOnce ?? false
        process.consoleSize = (h.ConsoleSize ?? []).allSatisfy({ $0 == 0 }) ? nil : h.ConsoleSize
        process.rlimits = (h.Ulimits ?? []).map { ProcessSpec.Rlimit(type: "RLIMIT_" + $0.Name.uppercased(), soft: UInt64(max(0, $0.Soft)), hard: UInt64(max(0, $0.Hard))) }
        var seccomp = ContainerSpec.Seccomp.default
        for opt in h.SecurityOpt ?? [] {
            if opt.hasPrefix("no-new-privileges") { process.noNewPrivileges = !opt.hasSuffix("false") }
            if opt.hasPrefix("seccomp") {
                let value = String(opt.drop { $0 != "=" && $0 != ":" }.dropFirst())
                if value == "unconfined" {
                    seccomp = .unconfined
                } else {
                    // The docker CLI sends the profile's content; a path is read here.
                    let profile = "\(bundle)/seccomp.json"
                    let data = value.hasPrefix("{") ? Data(value.utf8) : (FileManager.default.contents(atPath: value) ?? Data())
                    guard !data.isEmpty else { throw EngineError(.invalid, "seccomp profile \(value) is empty or unreadable") }
                    do { _ = try SeccompProfile.checked(data, source: value.hasPrefix("{") ? "given with --security-opt" : value) } catch {
                        throw EngineError(.invalid, "\(error)")
                    }
                    try FileSystem.writeAtomically(data, to: profile)
                    seccomp = .profile(profile)
                }
            }
        }
        var spec = ContainerSpec(
            id: r.id,
            rootfs: try await rootfsSpec(r, bundle: bundle),
            process: process, hostname: hostname, log: try logSpec(r, bundle: bundle))
        spec.domainname = c.Domainname ?? ""
        spec.rootfs.readOnly = h.ReadonlyRootfs ?? false
        spec.namespaces.network = try await networkNamespace(r)
        spec.privileged = privileged
        spec.seccomp = privileged ? .unconfined : seccomp
        spec.maskedPaths = privileged ? [] : Defaults.maskedPaths
        spec.readonlyPaths = privileged ? [] : Defaults.readonlyPaths
        spec.mounts = try await mounts(r)
        spec.stopSignal = try Signals.parse(c.StopSignal ?? "SIGTERM")
        spec.initProcess = h.Init ?? false
        spec.cgroup = Self.cgroup(r)
        spec.userNamespace = userNamespace(r, bundle: bundle)
        try writeEtcFiles(r, hostname: hostname, bundle: bundle, embeddedDNS: await usesEmbeddedDNS(r), links: Self.linkHosts(links), spec: &spec)
        return spec
    }

    /// The container's overlay: its image's layers under its own upper dir.
    func rootfsSpec(_ r: ContainerRecord, bundle: String) async throws -> ContainerSpec.Rootfs {
        guard let image = await images.image(r.imageID) else {
            throw EngineError(.notFound, "the image of container \(r.name) (\(r.imageID.short)) is gone")
        }
        var lowers: [String] = []
        for chain in image.chainIDs.reversed() {
            guard let s = snapshots.get(chain) else { throw EngineError(.internalError, "layer \(chain.short) of \(r.image) is missing from the store") }
            lowers.append(snapshots.shortLowerDir(s))
        }
        return .init(layersDir: snapshots.root, lowerDirs: lowers, upperDir: "\(bundle)/upper", workDir: "\(bundle)/work", mountPoint: "\(bundle)/rootfs")
    }

    /// `--cpus` as a CFS quota per 100 ms period, as Docker converts NanoCpus.
    static func cfsLimits(nanoCpus: Int64) -> (period: Int64, quota: Int64) {
        (100_000, nanoCpus * 100_000 / 1_000_000_000)
    }

    /// Every container gets a cgroup (stats, pause, limits) at `berth/<id>`.
    static func cgroup(_ r: ContainerRecord) -> ContainerSpec.CgroupSpec {
        let h = r.hostConfig
        var cg = ContainerSpec.CgroupSpec(path: "berth/\(r.id)")
        func positive(_ v: Int64?) -> Int64? { (v ?? 0) > 0 ? v : nil }
        cg.memory = positive(h.Memory)
        cg.memorySwap = (h.MemorySwap ?? 0) != 0 ? h.MemorySwap : nil
        if let n = positive(h.NanoCpus) {
            (cg.cpuPeriod, cg.cpuQuota) = Self.cfsLimits(nanoCpus: n)
        } else {
            cg.cpuPeriod = positive(h.CpuPeriod)
            cg.cpuQuota = positive(h.CpuQuota)
        }
        cg.cpuShares = positive(h.CpuShares)
        cg.cpusetCpus = (h.CpusetCpus ?? "").isEmpty ? nil : h.CpusetCpus
        cg.pidsLimit = positive(h.PidsLimit)
        if h.PidsLimit == nil { cg.defaultPidsLimit = Defaults.pidsLimit }
        return cg
    }

    func logSpec(_ r: ContainerRecord, bundle: String) throws -> ContainerSpec.LogSpec {
        var log = ContainerSpec.LogSpec(path: logPath(r.id))
        if let s = r.hostConfig.LogConfig?.Config?["max-size"] { log.maxSize = try Self.parseSize(s, option: "max-size") }
        if let f = r.hostConfig.LogConfig?.Config?["max-file"] {
            guard let n = Int(f), n >= 1 else { throw EngineError(.invalid, "invalid value for max-file: \(f) (a number ≥ 1)") }
            log.maxFiles = n
        }
        return log
    }

    /// The json-file log of a container.
    public func logPath(_ id: String) -> String { "\(containers.bundle(id))/\(id)-json.log" }

    /// `10m`, `1g`, `512k`, `100` (bytes).
    static func parseSize(_ s: String, option: String) throws(EngineError) -> Int64 {
        let lower = s.lowercased()
        let units: [(String, Int64)] = [("kb", 1 << 10), ("mb", 1 << 20), ("gb", 1 << 30), ("k", 1 << 10), ("m", 1 << 20), ("g", 1 << 30), ("b", 1)]
        for (u, mult) in units where lower.hasSuffix(u) {
            if let n = Double(lower.dropLast(u.count)), n > 0, let bytes = Int64(exactly: (n * Double(mult)).rounded(.down)) { return bytes }
        }
        if let n = Int64(lower), n > 0 { return n }
        throw EngineError(.invalid, "invalid value for \(option): \(s) (use a size like 10m, 512k or 1g)")
    }

    /// The record's mounts and `--tmpfs` for the shim, parents before children (Docker sorts
    /// by path depth), so `-v a:/x -v b:/x/y` shows b inside a.
    func mounts(_ r: ContainerRecord) async throws -> [ContainerSpec.Mount] {
        var out: [ContainerSpec.Mount] = []
        for p in try mountPoints(of: r) {
            let access = p.readOnly ? "ro" : "rw"
            switch p.type {
            case .bind:
                if p.createsSource && !FileManager.default.fileExists(atPath: p.source) {
                    guard (try? FileSystem.makeDirectory(p.source, mode: 0o755)) != nil else {
                        throw EngineError(.invalid, "cannot create bind source \(p.source)")
                    }
                } else if !FileManager.default.fileExists(atPath: p.source) {
                    throw EngineError(.invalid, "invalid mount config for type \"bind\": bind source path does not exist: \(p.source)")
                }
                out.append(.init(type: "bind", source: p.source, destination: p.destination, options: [access] + (p.propagation.isEmpty ? [] : [p.propagation])))
            case .volume:
                guard let name = p.name else { continue }
                _ = try await volumes.get(name)
                // Volumes are berth's: under a remap they are idmapped, so their files keep
                // the ids the container sees. Host binds are not (as in Docker).
                out.append(.init(type: "bind", source: volumes.dataPath(name), destination: p.destination,
                                 options: [access] + (remapsUsers(r) ? ["idmap"] : [])))
            case .tmpfs:
                out.append(.init(type: "tmpfs", source: "tmpfs", destination: p.destination, options: p.tmpfsOptions + (p.readOnly ? ["ro"] : [])))
            }
        }
        for (dst, o) in (r.hostConfig.Tmpfs ?? [:]).sorted(by: { $0.key < $1.key }) {
            out.append(.init(type: "tmpfs", source: "tmpfs", destination: dst, options: ["nosuid", "nodev"] + o.split(separator: ",").map(String.init)))
        }
        let depth = { (m: ContainerSpec.Mount) in m.destination.split(separator: "/").count }
        return out.enumerated().sorted { (depth($0.element), $0.offset) < (depth($1.element), $1.offset) }.map(\.element)
    }

    /// /etc/hosts, /etc/hostname and /etc/resolv.conf for the container, in its bundle.
    func writeEtcFiles(_ r: ContainerRecord, hostname: String, bundle: String, embeddedDNS: Bool = false, links: String = "", spec: inout ContainerSpec) throws {
        let h = r.hostConfig
        var hosts = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n"
        for extra in h.ExtraHosts ?? [] {
            let p = extra.split(separator: ":", maxSplits: 1).map(String.init)
            guard p.count == 2 else { throw EngineError(.invalid, "invalid --add-host \(extra) (expected host:ip)") }
            hosts += "\(p[1])\t\(p[0])\n"
        }
        hosts += links
        let address = (r.endpoints ?? [:]).values.compactMap(\.interface).min { $0.name < $1.name }?.address
        if let address {
            hosts += "\(address)\t\(hostname)\n"
        } else if spec.namespaces.network != "host" {
            hosts += "127.0.1.1\t\(hostname)\n"
        }
        var resolv = (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""
        // A host resolver on loopback (systemd-resolved's 127.0.0.53) is out of reach from the
        // container's own namespace: Docker drops it, and falls back to public resolvers.
        if address != nil { resolv = Self.withoutLoopbackResolvers(resolv) }
        if embeddedDNS {
            resolv = Self.embeddedResolvConf(r, host: resolv)
        } else if !(h.Dns ?? []).isEmpty || !(h.DnsSearch ?? []).isEmpty || !(h.DnsOptions ?? []).isEmpty {
            // --dns-search or --dns-option alone keep the host's resolvers.
            resolv = (h.Dns ?? []).isEmpty ? resolv.split(separator: "\n").filter { $0.hasPrefix("nameserver") }.map { $0 + "\n" }.joined()
                : (h.Dns ?? []).map { "nameserver \($0)\n" }.joined()
            if let s = h.DnsSearch, !s.isEmpty { resolv += "search \(s.joined(separator: " "))\n" }
            if let o = h.DnsOptions, !o.isEmpty { resolv += "options \(o.joined(separator: " "))\n" }
        }
        try FileSystem.writeAtomically(Data(hosts.utf8), to: "\(bundle)/hosts")
        try FileSystem.writeAtomically(Data("\(hostname)\n".utf8), to: "\(bundle)/hostname")
        try FileSystem.writeAtomically(Data(resolv.utf8), to: "\(bundle)/resolv.conf")
        spec.etcHosts = "\(bundle)/hosts"
        spec.etcHostname = "\(bundle)/hostname"
        spec.etcResolvConf = "\(bundle)/resolv.conf"
    }

    /// resolv.conf without `nameserver 127.x`; Docker's fallback when none is left.
    static func withoutLoopbackResolvers(_ conf: String) -> String {
        var lines = conf.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines.removeAll { line in
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            return f.count >= 2 && f[0] == "nameserver" && (f[1].hasPrefix("127.") || f[1] == "::1")
        }
        var out = lines.joined(separator: "\n")
        if !lines.contains(where: { $0.hasPrefix("nameserver") }) {
            if !out.isEmpty && !out.hasSuffix("\n") { out += "\n" }
            out += "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"
        }
        return out
    }
}
