import ArgumentParser
import BerthOCI
import Foundation

/// The flags `create` and `run` share, turned into Docker's create body.
struct ContainerOptions: ParsableArguments {
    @Option(help: "Assign a name to the container") var name: String?
    @Option(name: .shortAndLong, help: "Set environment variables") var env: [String] = []
    @Option(help: "Read in a file of environment variables") var envFile: [String] = []
    @Option(name: .shortAndLong, help: "Working directory inside the container") var workdir: String?
    @Option(name: .shortAndLong, help: "Username or UID (format: <name|uid>[:<group|gid>])") var user: String?
    @Option(help: "Overwrite the default ENTRYPOINT of the image") var entrypoint: String?
    @Option(name: [.customShort("h"), .long], help: "Container host name") var hostname: String?
    @Option(help: "Container NIS domain name") var domainname: String?
    @Option(name: .shortAndLong, help: "Set meta data on a container") var label: [String] = []
    @Flag(help: "Run an init inside the container that forwards signals and reaps processes") var `init` = false
    @Option(help: "Restart policy to apply when a container exits") var restart: String?
    @Option(help: "Signal to stop the container") var stopSignal: String?
    @Option(help: "Timeout (in seconds) to stop a container") var stopTimeout: Int?
    @Option(name: .shortAndLong, help: "Bind mount a volume (/host:/ctr[:ro], name:/ctr[:ro], /ctr)") var volume: [String] = []
    @Option(help: "Attach a filesystem mount to the container (type=bind|volume|tmpfs,...)") var mount: [String] = []
    @Option(help: "Mount volumes from the specified container(s) (container[:ro|rw])") var volumesFrom: [String] = []
    @Option(help: "Mount a tmpfs directory (/path[:options])") var tmpfs: [String] = []
    @Option(name: [.long, .customLong("net")], help: "Connect a container to a network (bridge, host, none, container:NAME or a user network)") var network: String?
    @Flag(help: "Give extended privileges to this container") var privileged = false
    @Option(help: "Add Linux capabilities") var capAdd: [String] = []
    @Option(help: "Drop Linux capabilities") var capDrop: [String] = []
    @Option(help: "Security Options (seccomp=unconfined|FILE, no-new-privileges)") var securityOpt: [String] = []
    @Flag(help: "Mount the container's root filesystem as read only") var readOnly = false
    @Option(help: "User namespace to use (host: opt out of the daemon's --userns-remap)") var userns: String?
    @Option(name: .shortAndLong, help: "Memory limit (e.g. 512m)") var memory: String?
    @Option(parsing: .unconditional, help: "Swap limit equal to memory plus swap: -1 to enable unlimited swap") var memorySwap: String?
    @Option(help: "Number of CPUs") var cpus: Double?
    @Option(name: [.customShort("c"), .long], help: "CPU shares (relative weight)") var cpuShares: Int64?
    @Option(help: "CPUs in which to allow execution (0-3, 0,1)") var cpusetCpus: String?
    @Option(parsing: .unconditional, help: "Tune container pids limit (set -1 for unlimited)") var pidsLimit: Int64?
    @Option(help: "Ulimit options (name=soft[:hard])") var ulimit: [String] = []
    @Option(help: "Logging driver for the container") var logDriver: String?
    @Option(help: "Log driver options (max-size, max-file)") var logOpt: [String] = []
    @Option(help: "Add a custom host-to-IP mapping (host:ip)") var addHost: [String] = []
    @Option(help: "Set custom DNS servers") var dns: [String] = []
    @Option(help: "Set custom DNS search domains") var dnsSearch: [String] = []
    @Option(name: [.long, .customLong("dns-opt")], help: "Set DNS options") var dnsOption: [String] = []
    @Option(help: "Add additional groups to join") var groupAdd: [String] = []
    @Option(name: .shortAndLong, help: "Publish a container's port(s) to the host") var publish: [String] = []
    @Flag(name: [.customShort("P"), .long], help: "Publish all exposed ports to random ports") var publishAll = false
    @Option(help: "Expose a port or a range of ports") var expose: [String] = []
    @Option(help: "IPv4 address (e.g., 172.30.100.104)") var ip: String?
    @Option(name: [.long, .customLong("net-alias")], help: "Add network-scoped alias for the container") var networkAlias: [String] = []
    @Option(help: "IPv6 address (e.g., 2001:db8::33): refused, berthd has no IPv6 yet") var ip6: String?
    @Option(help: "Container IPv4/IPv6 link-local addresses: refused by berthd") var linkLocalIp: [String] = []
    @Option(help: "Container MAC address (e.g., 92:d0:c6:0a:29:33)") var macAddress: String?
    @Option(help: "Add link to another container (name[:alias])") var link: [String] = []
    @Flag(name: .shortAndLong, help: "Keep STDIN open even if not attached") var interactive = false
    @Flag(name: .shortAndLong, help: "Allocate a pseudo-TTY") var tty = false
    @Option(help: "Set platform if server is multi-platform capable") var platform: String?
    @OptionGroup var health: HealthOptions

    /// The create body for `image` and `command`.
    func body(image: String, command: [String], attach: Bool, autoRemove: Bool) throws -> [String: Any] {
        var envs = env
        for f in envFile {
            guard let text = try? String(contentsOfFile: f, encoding: .utf8) else { throw CLIError("open \(f): no such file or not readable") }
            for line in text.split(separator: "\n") {
                let l = line.trimmingCharacters(in: .whitespaces)
                if l.isEmpty || l.hasPrefix("#") { continue }
                envs.append(l.contains("=") ? l : "\(l)=\(ProcessInfo.processInfo.environment[l] ?? "")")
            }
        }
        // `-e NAME` takes NAME's value from this environment, as docker does.
        envs = envs.compactMap { e in e.contains("=") ? e : ProcessInfo.processInfo.environment[e].map { "\(e)=\($0)" } }
        var labels: [String: String] = [:]
        for l in label {
            let p = l.split(separator: "=", maxSplits: 1).map(String.init)
            labels[p[0]] = p.count > 1 ? p[1] : ""
        }
        let (binds, anonymous) = try Self.splitVolumes(volume)
        var host: [String: Any] = ["Binds": binds, "VolumesFrom": volumesFrom, "NetworkMode": network ?? "default", "AutoRemove": autoRemove,
                                   "Privileged": privileged, "CapAdd": capAdd, "CapDrop": capDrop, "SecurityOpt": try securityOpts(),
                                   "ReadonlyRootfs": readOnly, "ExtraHosts": addHost, "Dns": dns, "DnsSearch": dnsSearch,
                                   "DnsOptions": dnsOption, "GroupAdd": groupAdd, "Init": self.`init`]
        if let userns { host["UsernsMode"] = userns }
        if !link.isEmpty { host["Links"] = link.map { $0.contains(":") ? $0 : "\($0):\($0)" } }
        if let restart { host["RestartPolicy"] = try Self.restartPolicy(restart) }
        if let memory { host["Memory"] = try Self.bytes(memory, flag: "--memory") }
        if let memorySwap { host["MemorySwap"] = memorySwap == "-1" ? -1 : try Self.bytes(memorySwap, flag: "--memory-swap") }
        if let cpus {
            guard cpus > 0 else { throw CLIError("invalid argument \"\(cpus)\" for \"--cpus\" flag: must be positive") }
            host["NanoCpus"] = Int64(cpus * 1e9)
        }
        if let cpuShares { host["CpuShares"] = cpuShares }
        if let cpusetCpus { host["CpusetCpus"] = cpusetCpus }
        if let pidsLimit { host["PidsLimit"] = pidsLimit }
        if !ulimit.isEmpty { host["Ulimits"] = try ulimit.map(Self.ulimit) }
        if logDriver != nil || !logOpt.isEmpty {
            var cfg: [String: String] = [:]
            for o in logOpt {
                let p = o.split(separator: "=", maxSplits: 1).map(String.init)
                guard p.count == 2 else { throw CLIError("invalid log opt \(o): expected key=value") }
                cfg[p[0]] = p[1]
            }
            host["LogConfig"] = ["Type": logDriver ?? "", "Config": cfg]
        }
        if !tmpfs.isEmpty {
            var t: [String: String] = [:]
            for x in tmpfs {
                let p = x.split(separator: ":", maxSplits: 1).map(String.init)
                t[p[0]] = p.count > 1 ? p[1] : ""
            }
            host["Tmpfs"] = t
        }
        if !mount.isEmpty { host["Mounts"] = try mount.map(Self.mountSpec) }
        var exposed: [String: Any] = [:]
        if !publish.isEmpty {
            var bindings: [String: [[String: String]]] = [:]
            for (key, b) in try PublishFlag.parse(publish) {
                exposed[key] = [String: Any]()
                bindings[key, default: []].append(["HostIp": b.hostIP, "HostPort": b.hostPort])
            }
            host["PortBindings"] = bindings
        }
        for e in expose {
            for key in try PublishFlag.parse(e).map(\.key) { exposed[key] = [String: Any]() }
        }
        if publishAll { host["PublishAllPorts"] = true }
        var body: [String: Any] = [
            "Image": image, "Env": envs, "Labels": labels, "Tty": tty, "OpenStdin": interactive,
            "StdinOnce": interactive && attach, "AttachStdin": interactive && attach, "AttachStdout": attach, "AttachStderr": attach,
            "HostConfig": host,
        ]
        if !exposed.isEmpty { body["ExposedPorts"] = exposed }
        if ip != nil || ip6 != nil || !linkLocalIp.isEmpty || macAddress != nil || !networkAlias.isEmpty {
            var endpoint: [String: Any] = [:]
            var ipam: [String: Any] = [:]
            if let ip { ipam["IPv4Address"] = ip }
            if let ip6 { ipam["IPv6Address"] = ip6 }
            if !linkLocalIp.isEmpty { ipam["LinkLocalIPs"] = linkLocalIp }
            if !ipam.isEmpty { endpoint["IPAMConfig"] = ipam }
            if let macAddress { endpoint["MacAddress"] = macAddress }
            if !networkAlias.isEmpty { endpoint["Aliases"] = networkAlias }
            body["NetworkingConfig"] = ["EndpointsConfig": [network ?? "default": endpoint]]
        }
        if !anonymous.isEmpty { body["Volumes"] = Dictionary(uniqueKeysWithValues: anonymous.map { ($0, [String: Any]()) }) }
        if !command.isEmpty { body["Cmd"] = command }
        if let entrypoint { body["Entrypoint"] = entrypoint.isEmpty ? [String]() : [entrypoint] }
        if let workdir { body["WorkingDir"] = workdir }
        if let user { body["User"] = user }
        if let hostname { body["Hostname"] = hostname }
        if let domainname { body["Domainname"] = domainname }
        if let stopSignal { body["StopSignal"] = stopSignal }
        if let stopTimeout { body["StopTimeout"] = stopTimeout }
        if let check = try health.healthcheck() { body["Healthcheck"] = check }
        if let platform, platform != "linux/amd64", platform != "linux" {
            throw CLIError("--platform \(platform): this host runs linux/amd64 images only")
        }
        return body
    }

    /// The docker CLI sends a seccomp profile's content, not its path.
    func securityOpts() throws -> [String] {
        try securityOpt.map { o in
            guard o.hasPrefix("seccomp="), !o.hasSuffix("=unconfined") else { return o }
            let path = String(o.dropFirst(8))
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw CLIError("opening seccomp profile (\(path)) failed: no such file or not readable")
            }
            return "seccomp=" + text
        }
    }

    static func restartPolicy(_ s: String) throws -> [String: Any] {
        try RestartPolicyFlag.parse(s)
    }

    /// `512m`, `1g`, `100k`, `2048` → bytes (binary units, like docker).
    static func bytes(_ s: String, flag: String) throws -> Int64 {
        let l = s.lowercased()
        let units: [(String, Double)] = [("kb", 1024), ("mb", 1_048_576), ("gb", 1_073_741_824), ("k", 1024), ("m", 1_048_576), ("g", 1_073_741_824), ("b", 1)]
        for (u, m) in units where l.hasSuffix(u) {
            if let n = Double(l.dropLast(u.count)), n > 0 { return Int64(n * m) }
        }
        if let n = Int64(l), n > 0 { return n }
        throw CLIError("invalid argument \"\(s)\" for \"\(flag)\" flag: use a size like 512m or 1g")
    }

    static func ulimit(_ s: String) throws -> [String: Any] {
        let p = s.split(separator: "=", maxSplits: 1).map(String.init)
        guard p.count == 2 else { throw CLIError("invalid ulimit \(s): expected name=soft[:hard]") }
        let v = p[1].split(separator: ":").map { Int64($0) }
        guard let soft = v.first ?? nil, let hard = (v.count > 1 ? v[1] : soft) else { throw CLIError("invalid ulimit \(s): values must be numbers") }
        return ["Name": p[0], "Soft": soft, "Hard": hard]
    }

    /// As the docker CLI: `-v SRC:DST[:MODE]` goes to `Binds` (a `./dir` source made absolute),
    /// `-v /path` alone to `Config.Volumes` (an anonymous volume).
    static func splitVolumes(_ specs: [String]) throws -> (binds: [String], anonymous: [String]) {
        var binds: [String] = [], anonymous: [String] = []
        for v in specs {
            guard let colon = v.firstIndex(of: ":"), colon != v.startIndex else {
                anonymous.append(v)
                continue
            }
            let source = String(v[..<colon])
            if source == "." || source.hasPrefix("./") || source == ".." || source.hasPrefix("../") {
                let abs = URL(fileURLWithPath: source, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL.path
                binds.append(abs + v[colon...])
            } else {
                binds.append(v)
            }
        }
        return (binds, anonymous)
    }

    /// `--mount` as the docker CLI parses it (type defaults to volume).
    static func mountSpec(_ s: String) throws -> [String: Any] {
        var m: [String: Any] = ["Type": "volume"]
        var tmpfs: [String: Any] = [:]
        var volume: [String: Any] = [:]
        var driver: [String: Any] = [:]
        func flag(_ p: [String]) -> Bool { p.count == 1 || ["true", "1"].contains(p[1].lowercased()) }
        func keyValue(_ p: [String]) throws -> (String, String) {
            let kv = (p.count > 1 ? p[1] : "").split(separator: "=", maxSplits: 1).map(String.init)
            guard let k = kv.first, !k.isEmpty else { throw CLIError("invalid field '\(p.joined(separator: "="))' in '\(s)': expected \(p[0])=key=value") }
            return (k, kv.count > 1 ? kv[1] : "")
        }
        for kv in s.split(separator: ",") {
            let p = kv.split(separator: "=", maxSplits: 1).map(String.init)
            switch p[0] {
            case "volume-nocopy": volume["NoCopy"] = flag(p)
            case "volume-label":
                let (k, v) = try keyValue(p)
                volume["Labels"] = (volume["Labels"] as? [String: String] ?? [:]).merging([k: v]) { _, new in new }
            case "volume-driver": driver["Name"] = p.count > 1 ? p[1] : ""
            case "volume-opt":
                let (k, v) = try keyValue(p)
                driver["Options"] = (driver["Options"] as? [String: String] ?? [:]).merging([k: v]) { _, new in new }
            case "volume-subpath": volume["Subpath"] = p.count > 1 ? p[1] : ""
            case "type": m["Type"] = p.count > 1 ? p[1] : ""
            case "source", "src": m["Source"] = p.count > 1 ? p[1] : ""
            case "target", "destination", "dst": m["Target"] = p.count > 1 ? p[1] : ""
            case "readonly", "ro": m["ReadOnly"] = p.count == 1 || p[1] == "true" || p[1] == "1"
            case "tmpfs-size": tmpfs["SizeBytes"] = try bytes(p.count > 1 ? p[1] : "", flag: "--mount tmpfs-size")
            case "tmpfs-mode": tmpfs["Mode"] = Int(p.count > 1 ? p[1] : "", radix: 8) ?? 0
            default: throw CLIError("unexpected key '\(p[0])' in '\(s)'")
            }
        }
        if !tmpfs.isEmpty { m["TmpfsOptions"] = tmpfs }
        if !driver.isEmpty { volume["DriverConfig"] = driver }
        if !volume.isEmpty { m["VolumeOptions"] = volume }
        return m
    }
}
