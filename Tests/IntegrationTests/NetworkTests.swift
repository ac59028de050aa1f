import Foundation
import Glibc
import Testing

/// Bridge networking and published ports, each test in the network namespace its berthd runs
/// in (made by the test): the container's address on berth0, NAT to a server outside that
/// namespace, host → container through a published port, refusals, and no leaks.
@Suite(.serialized) struct NetworkTests {
    /// A directory holding `f` with `content`, for busybox httpd to serve.
    static func site(_ content: String) throws -> String {
        let dir = try TempDir.make("site")
        try content.write(toFile: "\(dir)/f", atomically: true, encoding: .utf8)
        chmod(dir, 0o755)
        return dir
    }

    /// Polls `fetch` until it answers (a server starting), up to ~10 s; its last result.
    static func retry(_ fetch: () -> Run.Result) -> Run.Result {
        var r = fetch()
        for _ in 0..<100 where r.status != 0 {
            usleep(100_000)
            r = fetch()
        }
        return r
    }

    /// `ip -o link` and `iptables-save` in the daemon's namespace, without counters and dates.
    static func networkState(_ d: Daemon) -> String {
        // Link names only: a bridge's carrier flag changes once it has had ports.
        let links = d.inNetns("ip", "-o", "link").stdout.split(separator: "\n").map { line in
            line.split(separator: " ").prefix(2).joined(separator: " ")
        }
        let rules = d.inNetns("iptables-save").stdout.split(separator: "\n").filter { !$0.hasPrefix("#") }
            .map { $0.replacingOccurrences(of: #"\[\d+:\d+\]"#, with: "", options: .regularExpression) }
        return (links + rules).joined(separator: "\n")
    }

    @Test func aContainerGetsAnAddressOnBerth0AndReachesAServerOnTheBridge() throws {
        let d = try Fixtures.daemonWithBusybox()
        defer { d.removeAllContainers() }
        let bridge = d.inNetns("ip", "-o", "-4", "addr", "show", "berth0")
        #expect(bridge.stdout.contains("inet 172.29.0.1/16"), "berthd made berth0 with the gateway address: \(bridge.stdout) \(bridge.stderr)")
        let site = try Self.site("from the host side\n")
        defer { try? FileManager.default.removeItem(atPath: site) }
        let server = try d.netns.spawn(["busybox", "httpd", "-f", "-p", "172.29.0.1:8000", "-h", site])
        defer { NetNS.stop(server) }

        let r = d.berth("run", "--name", "c1", "bb", "sh", "-c",
                        "ip -o -4 addr show eth0; ip route; tail -1 /etc/hosts; for i in $(seq 50); do wget -q -O - http://172.29.0.1:8000/f && break; sleep 0.2; done")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("inet 172.29.0.2/16"), "\(r.stdout)")
        #expect(r.stdout.contains("default via 172.29.0.1 dev eth0"), "\(r.stdout)")
        #expect(r.stdout.hasSuffix("from the host side\n"), "\(r.stdout)")
        let hostname = d.berth("inspect", "-f", "{{.Config.Hostname}}", "c1").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(r.stdout.contains("172.29.0.2\t\(hostname)"), "/etc/hosts names the container by its bridge address: \(r.stdout)")

        // A running container's settings, as docker shows them.
        #expect(d.berth("run", "-d", "--name", "c2", "bb", "sleep", "100").status == 0)
        let settings = d.berth("inspect", "-f", "{{.NetworkSettings.IPAddress}} {{.NetworkSettings.Gateway}} {{.NetworkSettings.MacAddress}} {{.NetworkSettings.IPPrefixLen}} {{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{$v.IPAddress}}{{end}}", "c2")
        #expect(settings.stdout == "172.29.0.3 172.29.0.1 02:42:ac:1d:00:03 16 bridge 172.29.0.3\n", "\(settings.stdout) \(settings.stderr)")
        let seen = d.berth("exec", "c2", "ip", "-o", "link", "show", "eth0")
        #expect(seen.stdout.contains("02:42:ac:1d:00:03") && seen.stdout.contains("mtu 1500"), "\(seen.stdout)")
        let ping = d.berth("run", "--rm", "bb", "ping", "-c", "1", "-W", "5", "172.29.0.3")
        #expect(ping.status == 0, "containers on the bridge reach each other: \(ping.stdout) \(ping.stderr)")
        #expect(d.berth("rm", "-f", "c2").status == 0)
        let stopped = d.berth("inspect", "-f", "{{.NetworkSettings.IPAddress}}|{{.NetworkSettings.Networks.bridge.NetworkID}}", "c1")
        #expect(stopped.stdout.hasPrefix("|") && stopped.stdout.count > 20, "an exited container has no address but keeps its network: \(stopped.stdout)")
    }

    @Test func outboundTrafficIsMasqueradedToAServerBeyondTheHost() throws {
        let d = try Fixtures.daemonWithBusybox()
        defer { d.removeAllContainers() }
        // "Outside": another namespace, reached from berthd's through a veth pair, as the
        // internet is reached from a host.
        let outside = try NetNS()
        let setUp = Run.run("/usr/bin/nsenter", ["--net=\(d.netns.path)", "sh", "-c",
            "ip link add bt-up type veth peer name bt-out netns \(outside.name) && ip addr add 10.99.0.1/24 dev bt-up && ip link set bt-up up"])
        #expect(setUp.status == 0, "\(setUp.stderr)")
        outside.run(["sh", "-c", "ip addr add 10.99.0.2/24 dev bt-out && ip link set bt-out up"])
        let site = try Self.site("")
        defer { try? FileManager.default.removeItem(atPath: site) }
        try FileManager.default.createDirectory(atPath: "\(site)/cgi-bin", withIntermediateDirectories: true)
        try "#!/bin/sh\necho 'Content-Type: text/plain'\necho\necho \"client $REMOTE_ADDR\"\n".write(toFile: "\(site)/cgi-bin/who", atomically: true, encoding: .utf8)
        chmod("\(site)/cgi-bin/who", 0o755)
        let server = try outside.spawn(["busybox", "httpd", "-f", "-p", "10.99.0.2:8000", "-h", site])
        defer { NetNS.stop(server) }

        let r = d.berth("run", "--rm", "bb", "sh", "-c", "for i in $(seq 50); do wget -q -O - http://10.99.0.2:8000/cgi-bin/who && break; sleep 0.2; done")
        #expect(r.stdout == "client 10.99.0.1\n", "the server sees the host's address, not the container's: \(r.stdout) \(r.stderr)")
        let rules = d.inNetns("iptables-save", "-t", "nat").stdout
        #expect(rules.contains("-A BERTH-POSTROUTING -s 172.29.0.0/16 ! -o berth0 -j MASQUERADE"), "\(rules)")
        #expect(d.inNetns("cat", "/proc/sys/net/ipv4/ip_forward").stdout == "1\n")
    }

    @Test func aPublishedPortServesTheContainersFileOnLoopbackAndOnTheHostsAddresses() throws {
        let d = try Fixtures.daemonWithBusybox()
        defer { d.removeAllContainers() }
        let site = try Self.site("published\n")
        defer { try? FileManager.default.removeItem(atPath: site) }
        let run = d.berth("run", "-d", "--name", "web", "-p", "8080:80", "-v", "\(site):/www:ro", "bb", "httpd", "-f", "-p", "80", "-h", "/www")
        #expect(run.status == 0, "\(run.stderr)")
        let local = Self.retry { d.inNetns("curl", "-sf", "--max-time", "5", "http://127.0.0.1:8080/f") }
        #expect(local.stdout == "published\n", "127.0.0.1 reaches the published port: \(local.stderr)")
        let viaBridge = d.inNetns("curl", "-sf", "--max-time", "5", "http://172.29.0.1:8080/f")
        #expect(viaBridge.stdout == "published\n", "the host's other addresses too: \(viaBridge.stderr)")
        let ports = d.berth("inspect", "-f", "{{json .NetworkSettings.Ports}}", "web")
        #expect(ports.stdout == "{\"80/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8080\"}]}\n", "\(ports.stdout)")
        let ps = d.berth("ps", "--format", "{{.Ports}}")
        #expect(ps.stdout == "0.0.0.0:8080->80/tcp\n", "\(ps.stdout)")
        let bound = d.inNetns("sh", "-c", "busybox nc -l -p 8080 & sleep 0.3; kill $! 2>/dev/null; wait $!")
        #expect(bound.stderr.contains("in use"), "a host program cannot take the published port: \(bound.stderr)")
    }

    @Test func aSecondContainerAskingForATakenPortFailsWithNothingLeftBehind() throws {
        let d = try Fixtures.daemonWithBusybox()
        defer { d.removeAllContainers() }
        #expect(d.berth("run", "-d", "--name", "first", "-p", "8080:80", "bb", "sleep", "100").status == 0)
        let before = Self.networkState(d)
        let netnsBefore = try FileManager.default.contentsOfDirectory(atPath: "\(d.execRoot)/netns")
        let second = d.berth("run", "-d", "--name", "second", "-p", "127.0.0.1:9000:90", "-p", "8080:80", "bb", "sleep", "100")
        #expect(second.status == 125)
        #expect(second.stderr.contains("Bind for 0.0.0.0:8080 failed: port is already allocated"), "\(second.stderr)")
        #expect(Self.networkState(d) == before, "no veth, address or rule of the failed start remains")
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(d.execRoot)/netns") == netnsBefore)
        #expect(d.berth("inspect", "-f", "{{.State.Status}} {{.NetworkSettings.IPAddress}}", "second").stdout == "created \n")
        // Its first port was let go with the rest: another container takes it.
        let third = d.berth("run", "--rm", "-p", "127.0.0.1:9000:90", "bb", "true")
        #expect(third.status == 0, "\(third.stderr)")
        // An address and port a host program holds are refused the same way.
        let holder = try d.netns.spawn(["busybox", "nc", "-l", "-p", "7000"])
        defer { NetNS.stop(holder) }
        let held = Self.retry { () -> Run.Result in
            let r = d.berth("run", "--rm", "-p", "7000:80", "bb", "true")
            return Run.Result(status: r.stderr.contains("port is already allocated") ? 0 : 1, stdout: r.stdout, stderr: r.stderr)
        }
        #expect(held.status == 0, "a port a host program listens on is refused: \(held.stderr)")
    }

    @Test func removingContainersLeavesTheLinksAndRulesAsTheyWere() throws {
        let d = try Fixtures.daemonWithBusybox()
        defer { d.removeAllContainers() }
        let before = Self.networkState(d)
        #expect(d.berth("run", "-d", "--name", "ca", "-p", "8080:80", "-p", "5353:53/udp", "bb", "sleep", "100").status == 0)
        #expect(d.berth("run", "-d", "--name", "cb", "--expose", "90", "-P", "bb", "sleep", "100").status == 0)
        #expect(d.berth("run", "--rm", "bb", "true").status == 0)
        let during = Self.networkState(d)
        #expect(during.contains("--dport 8080 -j DNAT --to-destination 172.29.0.2:80"), "\(during)")
        #expect(during.contains("-p udp -m udp --dport 5353 -j DNAT --to-destination 172.29.0.2:53"), "\(during)")
        let published = d.berth("inspect", "-f", "{{(index (index .NetworkSettings.Ports \"90/tcp\") 0).HostPort}}", "cb")
        let port = Int(published.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(port >= 1024, "-P publishes an exposed port on an ephemeral host port: \(published.stdout) \(published.stderr)")
        #expect(during.contains("--dport \(port) -j DNAT --to-destination 172.29.0.3:90"), "\(during)")
        #expect(d.berth("rm", "-f", "ca", "cb").status == 0)
        #expect(Self.networkState(d) == before, "links and rules are back to what they were")
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(d.execRoot)/netns").isEmpty)
    }

    @Test func manyRunsOnASmallNetworkFreeTheirAddressesAndLeaveNothingBehind() throws {
        let d = try Fixtures.daemonWithBusybox()
        defer { d.removeAllContainers() }
        // 13 addresses: 40 containers only fit if every exit gives its address back.
        #expect(d.berth("network", "create", "--subnet", "10.93.0.0/28", "tiny").status == 0)
        let before = Self.networkState(d)
        for i in 0..<40 {
            let r = i % 2 == 0
                ? d.berth("run", "--rm", "--network", "tiny", "-p", "8080:80", "bb", "true")
                : d.berth("run", "--name", "cycle", "--network", "tiny", "bb", "true")
            #expect(r.status == 0, "run \(i): \(r.stderr)")
            if i % 2 == 1 { #expect(d.berth("rm", "cycle").status == 0) }
        }
        #expect(Self.networkState(d) == before, "40 runs later the links and rules are as they were")
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(d.execRoot)/netns").isEmpty)
    }

    @Test func berthdRestartRestoresThePublishedPortsOfRunningContainers() throws {
        let d = try Fixtures.daemonWithBusybox()
        defer { d.removeAllContainers() }
        let site = try Self.site("still here\n")
        defer { try? FileManager.default.removeItem(atPath: site) }
        #expect(d.berth("run", "-d", "--name", "web", "-p", "8080:80", "-v", "\(site):/www:ro", "bb", "httpd", "-f", "-p", "80", "-h", "/www").status == 0)
        #expect(Self.retry { d.inNetns("curl", "-sf", "--max-time", "5", "http://127.0.0.1:8080/f") }.stdout == "still here\n")
        // A user network with a running container, whose rules and name must come back too.
        #expect(d.berth("network", "create", "--subnet", "10.86.0.0/24", "kept").status == 0)
        #expect(d.berth("run", "-d", "--name", "named", "--network", "kept", "-p", "9090:80", "bb", "sleep", "100").status == 0)
        let rules = Self.networkState(d)
        d.kill9()
        // The rules are lost while berthd is down (as after a firewall reload).
        for (table, chain) in [("nat", "BERTH"), ("nat", "BERTH-POSTROUTING"), ("filter", "BERTH-FORWARD"), ("filter", "BERTH-ISOLATION-1")] {
            #expect(d.inNetns("iptables", "-t", table, "-F", chain).status == 0)
        }
        #expect(d.inNetns("curl", "-sf", "--max-time", "2", "http://127.0.0.1:8080/f").status != 0)
        try d.start()
        let back = Self.retry { d.inNetns("curl", "-sf", "--max-time", "5", "http://127.0.0.1:8080/f") }
        #expect(back.stdout == "still here\n", "berthd restored the rule of the running container: \(back.stderr)")
        #expect(Self.networkState(d) == rules, "every rule of the running containers and networks is back")
        let found = d.berth("run", "--rm", "--network", "kept", "bb", "nslookup", "named")
        #expect(found.stdout.contains("Address: 10.86.0."), "the embedded DNS answers again: \(found.stdout) \(found.stderr)")
        // Its address is still taken: the next container gets another.
        let next = d.berth("run", "--rm", "bb", "ip", "-o", "-4", "addr", "show", "eth0")
        #expect(next.stdout.contains("172.29.0.3/16"), "\(next.stdout)")
        let taken = d.berth("run", "--rm", "-p", "8080:80", "bb", "true")
        #expect(taken.stderr.contains("port is already allocated"), "the port is held again: \(taken.stderr)")
        #expect(d.berth("rm", "-f", "web", "named").status == 0)
    }

    @Test func theBridgeSubnetIsConfigurableAndNoneAndHostModesStayAsTheyWere() throws {
        let d = try Daemon(["--bridge-subnet", "10.77.0.0/24", "--mtu", "1400"])
        defer { d.removeAllContainers() }
        #expect(d.berth("import", "-c", "CMD [\"sh\"]", Fixtures.busyboxTar, "bb").status == 0)
        let r = d.berth("run", "--rm", "bb", "sh", "-c", "ip -o -4 addr show eth0; ip -o link show eth0")
        #expect(r.stdout.contains("inet 10.77.0.2/24") && r.stdout.contains("mtu 1400"), "\(r.stdout)")
        let none = d.berth("run", "--rm", "--network", "none", "bb", "ip", "-o", "link")
        #expect(none.stdout.split(separator: "\n").count == 1 && none.stdout.contains("lo"), "\(none.stdout)")
        let host = d.berth("run", "--rm", "--network", "host", "bb", "ip", "-o", "link", "show", "berth0")
        #expect(host.status == 0, "host mode sees berthd's links: \(host.stderr)")
        let warned = d.berth("run", "--rm", "--network", "host", "-p", "80:80", "bb", "true")
        #expect(warned.status == 0 && warned.stderr.contains("Published ports are discarded when using host network mode"), "\(warned.stderr)")
        #expect(d.berth("run", "-d", "--name", "base", "bb", "sleep", "100").status == 0)
        let ip = d.berth("inspect", "-f", "{{.NetworkSettings.IPAddress}}", "base").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let shared = d.berth("run", "--rm", "--network", "container:base", "bb", "ip", "-o", "-4", "addr", "show", "eth0")
        #expect(ip.hasPrefix("10.77.0.") && shared.stdout.contains("\(ip)/24"), "container: mode joins the other's namespace: \(shared.stdout) \(shared.stderr)")
        #expect(d.berth("rm", "-f", "base").status == 0)
    }

    @Test func theNFTablesBackendPublishesPortsInATableOfItsOwn() throws {
        let d = try Daemon(["--firewall", "nftables"])
        defer { d.removeAllContainers() }
        #expect(d.berth("import", "-c", "CMD [\"sh\"]", Fixtures.busyboxTar, "bb").status == 0)
        let site = try Self.site("over nftables\n")
        defer { try? FileManager.default.removeItem(atPath: site) }
        #expect(d.berth("run", "-d", "--name", "web", "-p", "8080:80", "-p", "127.0.0.1:9090:80", "-v", "\(site):/www:ro",
                        "bb", "httpd", "-f", "-p", "80", "-h", "/www").status == 0)
        for url in ["http://127.0.0.1:8080/f", "http://172.29.0.1:8080/f", "http://127.0.0.1:9090/f"] {
            let r = Self.retry { d.inNetns("curl", "-sf", "--max-time", "5", url) }
            #expect(r.stdout == "over nftables\n", "\(url): \(r.stderr)")
        }
        let table = d.inNetns("nft", "list", "table", "ip", "berth").stdout
        #expect(table.contains("tcp dport 8080 dnat to 172.29.0.2:80") && table.contains("ip saddr 172.29.0.0/16 oifname != \"berth0\" masquerade"), "\(table)")
        #expect(!d.inNetns("iptables-save").stdout.contains("BERTH"), "no iptables rule is made")
        #expect(d.berth("rm", "-f", "web").status == 0)
        let after = d.inNetns("nft", "list", "chain", "ip", "berth", "ports").stdout
        #expect(!after.contains("dnat"), "the port rules went with the container: \(after)")
    }

    @Test func theDockerCLIPublishesAPort() throws {
        let d = try Fixtures.daemonWithBusybox()
        defer { d.removeAllContainers() }
        let site = try Self.site("via docker\n")
        defer { try? FileManager.default.removeItem(atPath: site) }
        let run = d.docker("run", "-d", "--name", "dweb", "-p", "127.0.0.1:8081:80", "-v", "\(site):/www:ro", "bb", "httpd", "-f", "-p", "80", "-h", "/www")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(Self.retry { d.inNetns("curl", "-sf", "--max-time", "5", "http://127.0.0.1:8081/f") }.stdout == "via docker\n")
        let port = d.docker("port", "dweb")
        #expect(port.stdout == "80/tcp -> 127.0.0.1:8081\n", "\(port.stdout) \(port.stderr)")
        let ps = d.docker("ps", "--format", "{{.Ports}}")
        #expect(ps.stdout == "127.0.0.1:8081->80/tcp\n", "\(ps.stdout)")
        #expect(d.docker("rm", "-f", "dweb").status == 0)
    }

    @Test func statsCountTheBytesOfTheContainersInterfaces() throws {
        let d = try Fixtures.daemonWithBusybox()
        defer { d.removeAllContainers() }
        #expect(d.berth("run", "-d", "--name", "talker", "bb", "sleep", "100").status == 0)
        func eth0() throws -> (rx: Int, tx: Int) {
            let o = try StatsTests.json(Run.curl(socket: d.socket, path: "/containers/talker/stats?stream=0&one-shot=1"))
            let eth0 = (o["networks"] as? [String: Any])?["eth0"] as? [String: Any]
            return ((eth0?["rx_bytes"] as? NSNumber)?.intValue ?? -1, (eth0?["tx_bytes"] as? NSNumber)?.intValue ?? -1)
        }
        let before = try eth0()
        #expect(before.rx >= 0 && before.tx >= 0, "stats has eth0's counters")
        // 5 pings of 1000 bytes to the gateway and their replies: 5000 bytes each way at least.
        let ping = d.berth("exec", "talker", "ping", "-c", "5", "-i", "0.2", "-s", "1000", "172.29.0.1")
        #expect(ping.status == 0, "\(ping.stdout) \(ping.stderr)")
        let after = try eth0()
        #expect(after.tx - before.tx >= 5000 && after.rx - before.rx >= 5000, "\(before) → \(after)")
        let netIO = d.berth("stats", "--no-stream", "--format", "{{.NetIO}}", "talker").stdout
        #expect(netIO.hasSuffix("kB\n") && !netIO.hasPrefix("0B"), "the CLI's NET I/O column: \(netIO)")
        let host = d.berth("run", "-d", "--name", "onhost", "--network", "host", "bb", "sleep", "100")
        #expect(host.status == 0)
        let hostStats = try StatsTests.json(Run.curl(socket: d.socket, path: "/containers/onhost/stats?stream=0&one-shot=1"))
        #expect((hostStats["networks"] as? [String: Any] ?? [:]).isEmpty, "the host's interfaces are not the container's")
    }
}
