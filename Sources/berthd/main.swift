import ArgumentParser
import BerthAPI
import BerthEngine
import BerthNetwork
import BerthRegistry
import Foundation
import Glibc

/// berthd: the Berth daemon, serving the Docker Engine API on a unix socket.
@main
struct Berthd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "berthd",
        abstract: "The Berth daemon: images, containers and the Docker Engine API on a unix socket.")

    @Option(help: "Where images and containers live.")
    var dataRoot = "/var/lib/berth"

    @Option(help: "Where runtime state lives: the API socket, shim sockets, pid files.")
    var execRoot = "/run/berth"

    @Option(name: [.customShort("H"), .long], help: "The API socket, as unix:///path.")
    var host: String?

    @Option(help: "The berth-shim binary (default: next to berthd).")
    var shim: String?

    @Option(name: .customLong("insecure-registry"), help: "A registry (host[:port] or CIDR) reached over plain HTTP or unverified TLS; repeatable. 127.0.0.0/8 always is.")
    var insecureRegistries: [String] = []

    @Option(help: ArgumentHelp("Run containers in a user namespace: default, USER[:GROUP] (their ranges in /etc/subuid and /etc/subgid) or HOSTID:SIZE.", valueName: "mapping"))
    var usernsRemap: String?

    @Option(help: "The default bridge's Linux name, or none for containers without a network by default.")
    var bridge = "berth0"

    @Option(help: "The default bridge's subnet (docker0 uses 172.17.0.0/16; this one does not collide with it).")
    var bridgeSubnet = "172.29.0.0/16"

    @Option(help: "MTU of bridges and container interfaces.")
    var mtu = 1500

    @Option(help: "Packet filter for NAT and published ports: auto, iptables, nftables or none.")
    var firewall = "auto"

    func run() async throws {
        let socket = try Self.socketPath(host ?? "unix://\(execRoot)/berth.sock")
        for dir in [dataRoot, execRoot] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let lockFD = open("\(dataRoot)/berthd.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lockFD >= 0, flock(lockFD, LOCK_EX | LOCK_NB) == 0 else {
            throw ValidationError("another berthd is already using the data root \(dataRoot); stop it first or pass a different --data-root")
        }
        Self.protectFromOOMKiller()
        let pid = "\(getpid())\n"
        ftruncate(lockFD, 0)
        _ = pid.withCString { write(lockFD, $0, strlen($0)) }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let shimPath = shim ?? (exe as NSString).deletingLastPathComponent + "/berth-shim"
        guard FileManager.default.isExecutableFile(atPath: shimPath) else {
            throw ValidationError("berth-shim not found at \(shimPath); install it next to berthd or pass --shim PATH")
        }
        guard let subnet = IPv4Subnet(bridgeSubnet), subnet.prefixLength <= 30 else {
            throw ValidationError("--bridge-subnet \(bridgeSubnet): give an IPv4 network like 172.29.0.0/16 (host bits zero, /30 or larger)")
        }
        guard (576...65535).contains(mtu) else { throw ValidationError("--mtu \(mtu): use 576 to 65535") }
        guard bridge == "none" || (1...15).contains(bridge.utf8.count) else {
            throw ValidationError("--bridge \(bridge): a Linux interface name has 1 to 15 characters")
        }
        let network = NetworkOptions(bridgeName: bridge == "none" ? nil : bridge, bridgeSubnet: subnet, mtu: mtu, firewall: firewall)
        let insecure: InsecureRegistries
        do { insecure = try InsecureRegistries(insecureRegistries) } catch { throw ValidationError(error.message) }
        let timeouts: RegistryTimeouts
        do { timeouts = try RegistryTimeouts.fromEnvironment() } catch { throw ValidationError(error.message) }
        let remap = try usernsRemap.map { try UserNamespaceRemap.parse($0) }
        let engine = try await Engine(dataRoot: dataRoot, execRoot: execRoot, shimPath: shimPath, network: network,
                                      userNamespaceRemap: remap, insecureRegistries: insecure, registryTimeouts: timeouts)
        let api = EngineAPI(engine: engine)
        let server = HTTPServer(socketPath: socket, socketMode: 0o660, defaultHeaders: EngineAPI.defaultHeaders) { req, body, w in
            try await api.handle(req, body, w)
        }
        let root = dataRoot
        let serving = Task {
            try await server.run {
                FileHandle.standardError.write(Data("berthd \(APIVersion.engineVersion) listening on unix://\(socket) (data root \(root))\n".utf8))
            }
        }
        // SIGTERM/SIGINT stop serving cleanly (the socket file is removed); containers live on
        // in their shims.
        var sources = [SIGTERM, SIGINT].map { sig -> DispatchSourceSignal in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { serving.cancel() }
            source.resume()
            return source
        }
        // Shims are berthd's children until it restarts: reap them as they exit. Other programs
        // berthd runs (ps, iptables) are waited for by whoever ran them.
        signal(SIGCHLD, SIG_DFL)
        // Tars are streamed to clients through pipes: a client that goes away must end the
        // stream with EPIPE, not berthd.
        signal(SIGPIPE, SIG_IGN)
        let reaper = DispatchSource.makeSignalSource(signal: SIGCHLD, queue: .global())
        reaper.setEventHandler { Engine.reapShims() }
        reaper.resume()
        sources.append(reaper)
        defer { sources.forEach { $0.cancel() } }
        try await serving.value
    }

    /// As dockerd (OOMScoreAdjust=-500): under memory pressure the kernel kills a container before
    /// berthd; shims inherit the value, container processes are reset to 0 (ProcessStarter).
    static func protectFromOOMKiller() {
        let fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC)
        guard fd >= 0, write(fd, "-500", 4) == 4 else {
            FileHandle.standardError.write(Data("berthd: cannot set oom_score_adj to -500: \(String(cString: strerror(errno)))\n".utf8))
            if fd >= 0 { close(fd) }
            return
        }
        close(fd)
    }

    static func socketPath(_ host: String) throws -> String {
        if host.hasPrefix("unix://") { return String(host.dropFirst(7)) }
        if host.hasPrefix("/") { return host }
        throw ValidationError("--host \(host): only unix:///path sockets are supported; a TCP listener needs TLS client auth, which berthd does not offer yet")
    }
}
