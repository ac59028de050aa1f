import Foundation
import Testing

/// User-defined bridge networks through `berth network` and the docker CLI, in the network
/// namespace the test made for its berthd: reach within a network, isolation between
/// networks, partitions by disconnect and their repair by connect, and clean removal.
@Suite(.serialized) struct UserNetworkTests {
    static func ping(_ d: Daemon, from c: String, _ ip: String) -> Bool {
        d.berth("exec", c, "ping", "-c", "1", "-W", "2", ip).status == 0
    }

    @Test func containersOnOneNetworkReachEachOtherButNotAnotherNetwork() throws {
        let d = try Fixtures.daemonWithBusybox()
        defer { d.removeAllContainers() }
        let before = NetworkTests.networkState(d)
        let created = d.berth("network", "create", "--subnet", "10.88.0.0/24", "--gateway", "10.88.0.254", "--label", "team=a", "front")
        #expect(created.status == 0 && created.stdout.count == 65, "\(created.stderr)")
        #expect(d.berth("network", "create", "back").status == 0)
        let ls = d.berth("network", "ls", "--format", "{{.Name}} {{.Driver}}")
        #expect(ls.stdout == "back bridge\nbridge bridge\nfront bridge\nhost host\nnone null\n", "\(ls.stdout)")
        let ipam = d.berth("network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{.Labels.team}}", "front")
        #expect(ipam.stdout == "10.88.0.0/24 10.88.0.254 a\n", "\(ipam.stdout)")

        #expect(d.berth("run", "-d", "--name", "f1", "--network", "front", "--ip", "10.88.0.50", "bb", "sleep", "100").status == 0)
        #expect(d.berth("run", "-d", "--name", "f2", "--network", "front", "bb", "sleep", "100").status == 0)
        #expect(d.berth("run", "-d", "--name", "b1", "--network", "back", "bb", "sleep", "100").status == 0)
        let f2 = d.berth("exec", "f2", "ip", "route")
        #expect(f2.stdout.contains("default via 10.88.0.254 dev eth0"), "\(f2.stdout)")
        #expect(Self.ping(d, from: "f2", "10.88.0.50"), "same network: reachable")
        let b1 = d.berth("inspect", "-f", "{{.NetworkSettings.Networks.back.IPAddress}}", "b1").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(b1.hasPrefix("172.30."), "a network without --subnet gets a free one: \(b1)")
        #expect(!Self.ping(d, from: "f2", b1), "another network: isolated")
        let members = d.berth("network", "inspect", "-f", "{{range .Containers}}{{.Name}}={{.IPv4Address}} {{end}}", "front")
        #expect(Set(members.stdout.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty })
                == ["f1=10.88.0.50/24", "f2=10.88.0.1/24"], "\(members.stdout)")

        let busy = d.berth("network", "rm", "front")
        #expect(busy.status != 0 && busy.stderr.contains("has active endpoints"), "\(busy.stderr)")
        let builtin = d.berth("network", "rm", "bridge")
        #expect(builtin.stderr.contains("pre-defined network"), "\(builtin.stderr)")
        let taken = d.berth("run", "--rm", "--network", "front", "--ip", "10.88.0.50", "bb", "true")
        #expect(taken.status != 0 && taken.stderr.contains("10.88.0.50"), "\(taken.stderr)")

        #expect(d.berth("rm", "-f", "f1", "f2", "b1").status == 0)
        #expect(d.berth("network", "rm", "front", "back").status == 0)
        #expect(NetworkTests.networkState(d) == before, "no bridge, veth or rule of the networks is left")
    }

    @Test func disconnectCutsARunningContainerOffAndConnectRestoresIt() throws {
        let d = try Fixtures.daemonWithBusybox()
        defer { d.removeAllContainers() }
        #expect(d.berth("network", "create", "--subnet", "10.89.0.0/24", "repl").status == 0)
        #expect(d.berth("run", "-d", "--name", "primary", "--network", "repl", "--ip", "10.89.0.10", "bb", "sleep", "100").status == 0)
        #expect(d.berth("run", "-d", "--name", "replica", "--network", "repl", "bb", "sleep", "100").status == 0)
        #expect(Self.ping(d, from: "replica", "10.89.0.10"))
        #expect(d.berth("network", "disconnect", "repl", "primary").status == 0)
        #expect(!Self.ping(d, from: "replica", "10.89.0.10"), "the split is immediate")
        #expect(d.berth("exec", "primary", "ip", "-o", "link", "show", "eth0").status != 0, "the interface is gone")
        let connect = d.berth("network", "connect", "--ip", "10.89.0.10", "repl", "primary")
        #expect(connect.status == 0, "\(connect.stderr)")
        #expect(Self.ping(d, from: "replica", "10.89.0.10"), "connect heals the split")
        #expect(Self.ping(d, from: "primary", "10.89.0.1"), "the reconnected interface routes again")
        // A second network on a running container: a second interface, the route unchanged.
        #expect(d.berth("network", "connect", "bridge", "replica").status == 0)
        let two = d.berth("exec", "replica", "sh", "-c", "ip -o -4 addr show eth1; ip route show default")
        #expect(two.stdout.contains("inet 172.29.0.") && two.stdout.contains("default via 10.89.0.1 dev eth0"), "\(two.stdout)")
        #expect(d.berth("rm", "-f", "primary", "replica").status == 0)
        #expect(d.berth("network", "prune", "-f").stdout == "Deleted Networks:\nrepl\n")
    }

    @Test func containersFindEachOtherByNameAndAliasOnTheirNetworkOnly() throws {
        let d = try Fixtures.daemonWithBusybox()
        defer { d.removeAllContainers() }
        #expect(d.berth("network", "create", "--subnet", "10.92.0.0/24", "app").status == 0)
        #expect(d.berth("network", "create", "elsewhere").status == 0)
        #expect(d.berth("run", "-d", "--name", "db", "--network", "app", "--network-alias", "postgres", "--ip", "10.92.0.20", "bb", "sleep", "100").status == 0)
        #expect(d.berth("run", "-d", "--name", "lonely", "--network", "elsewhere", "bb", "sleep", "100").status == 0)
        let r = d.berth("run", "--rm", "--network", "app", "bb", "sh", "-c",
                        "cat /etc/resolv.conf; nslookup db; nslookup postgres; ping -c 1 -W 2 db")
        #expect(r.stdout.contains("nameserver 127.0.0.11"), "\(r.stdout)")
        #expect(r.stdout.components(separatedBy: "Address: 10.92.0.20").count == 3, "name and alias resolve: \(r.stdout) \(r.stderr)")
        #expect(r.status == 0, "and the name is reachable: \(r.stdout) \(r.stderr)")
        let other = d.berth("run", "--rm", "--network", "elsewhere", "bb", "nslookup", "db")
        #expect(!other.stdout.contains("10.92.0.20"), "not from another network: \(other.stdout)")
        let external = d.berth("run", "--rm", "--network", "app", "bb", "nslookup", "lonely")
        #expect(!external.stdout.contains("Address: 172."), "\(external.stdout)")
        // A container that joins the network is found at once.
        #expect(d.berth("network", "connect", "--alias", "cache", "app", "lonely").status == 0)
        let joined = d.berth("exec", "db", "nslookup", "cache")
        #expect(joined.stdout.contains("Address: 10.92.0."), "\(joined.stdout) \(joined.stderr)")
        #expect(d.berth("rm", "-f", "db", "lonely").status == 0)
        let gone = d.berth("run", "--rm", "--network", "app", "bb", "nslookup", "db")
        #expect(!gone.stdout.contains("10.92.0.20"), "a removed container's name goes with it: \(gone.stdout)")
    }

    @Test func anInternalNetworkHasNoWayOut() throws {
        let d = try Fixtures.daemonWithBusybox()
        defer { d.removeAllContainers() }
        #expect(d.berth("network", "create", "--internal", "--subnet", "10.90.0.0/24", "sealed").status == 0)
        let r = d.berth("run", "--rm", "--network", "sealed", "bb", "sh", "-c", "ip route; ping -c 1 -W 2 172.29.0.1")
        #expect(!r.stdout.contains("default"), "no default route on an internal network: \(r.stdout)")
        #expect(r.status != 0, "the host's other networks are out of reach")
        let rules = d.inNetns("iptables-save", "-t", "nat").stdout
        #expect(!rules.contains("-s 10.90.0.0/24 ! -o"), "no masquerading for an internal network: \(rules)")
    }

    @Test func theDockerCLIDrivesNetworks() throws {
        let d = try Fixtures.daemonWithBusybox()
        defer { d.removeAllContainers() }
        let created = d.docker("network", "create", "--subnet", "10.91.0.0/24", "capnet")
        #expect(created.status == 0, "\(created.stderr)")
        let ls = d.docker("network", "ls", "--format", "{{.Name}} {{.Driver}} {{.Scope}}")
        #expect(ls.stdout.split(separator: "\n").sorted() == ["bridge bridge local", "capnet bridge local", "host host local", "none null local"], "\(ls.stdout)")
        #expect(d.docker("run", "-d", "--name", "n1", "--network", "capnet", "bb", "sleep", "100").status == 0)
        #expect(d.docker("run", "-d", "--name", "n2", "bb", "sleep", "100").status == 0)
        let connect = d.docker("network", "connect", "--alias", "db", "capnet", "n2")
        #expect(connect.status == 0, "\(connect.stderr)")
        let aliases = d.docker("inspect", "-f", "{{json .NetworkSettings.Networks.capnet.Aliases}}", "n2")
        #expect(aliases.stdout == "[\"db\"]\n", "\(aliases.stdout)")
        let n1 = d.docker("inspect", "-f", "{{.NetworkSettings.Networks.capnet.IPAddress}}", "n1").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(Self.ping(d, from: "n2", n1), "n2 reaches n1 through its new interface")
        #expect(d.docker("network", "disconnect", "capnet", "n2").status == 0)
        #expect(!Self.ping(d, from: "n2", n1))
        let busy = d.docker("network", "rm", "capnet")
        #expect(busy.status != 0, "\(busy.stdout)")
        #expect(d.docker("rm", "-f", "n1", "n2").status == 0)
        #expect(d.docker("network", "rm", "capnet").status == 0)
        #expect(d.docker("network", "inspect", "capnet").status != 0)
    }

    /// What DockerSpawner and compose do through docker-py: a port on 127.0.0.1 with the host
    /// port left to the daemon, read back with `port()`; a labelled network, a container
    /// disconnected and reconnected with aliases before start, found by its alias.
    @Test func dockerPyPublishesOnLoopbackAndConnectsWithAliases() throws {
        let d = try Fixtures.daemonWithBusybox()
        defer { d.removeAllContainers() }
        let site = try NetworkTests.site("spawned\n")
        defer { try? FileManager.default.removeItem(atPath: site) }
        let script = """
        import docker
        c = docker.DockerClient(base_url='\(d.host)')
        api = c.api
        hc = api.create_host_config(port_bindings={8888: ('127.0.0.1', None)}, binds=['\(site):/www:ro'], network_mode='bridge')
        ctr = api.create_container('bb', ['httpd', '-f', '-p', '8888', '-h', '/www'], ports=[8888], host_config=hc, name='jupyter-alice')
        api.start(ctr['Id'])
        print(api.port(ctr['Id'], 8888)[0]['HostIp'])
        print(api.port(ctr['Id'], 8888)[0]['HostPort'])
        net = c.networks.create('proj_appnet', labels={'com.docker.compose.project': 'proj'}, attachable=True)
        web = api.create_container('bb', ['sleep', '100'], name='proj_web_1',
                                   host_config=api.create_host_config(network_mode='proj_appnet'),
                                   networking_config=api.create_networking_config({'proj_appnet': api.create_endpoint_config(aliases=['web'])}))
        net.disconnect(web['Id'])
        net.connect(web['Id'], aliases=[web['Id'][:12], 'web'])
        api.start(web['Id'])
        out = c.containers.run('bb', ['nslookup', 'web'], network='proj_appnet', remove=True).decode()
        print('resolved' if 'Address: 172.' in out.split('Name:')[-1] else out)
        print(c.networks.get('proj_appnet').attrs['Labels']['com.docker.compose.project'])
        """
        let r = Run.run("/usr/bin/python3", ["-c", script])
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 4, "\(r.stdout) \(r.stderr)")
        guard lines.count == 4 else { return }
        #expect(lines[0] == "127.0.0.1")
        let port = Int(lines[1]) ?? 0
        #expect(port >= 1024, "the daemon chose the host port: \(lines[1])")
        #expect(lines[2] == "resolved", "the alias given at connect resolves: \(lines[2])")
        #expect(lines[3] == "proj")
        let fetched = NetworkTests.retry { d.inNetns("curl", "-sf", "--max-time", "5", "http://127.0.0.1:\(port)/f") }
        #expect(fetched.stdout == "spawned\n", "\(fetched.stderr)")
    }

    /// A DNS client over TCP (RFC 7766) in the container's network namespace: prints the A
    /// records of each name, or its rcode.
    static let tcpLookup = """
    import socket, struct, sys
    for i, name in enumerate(sys.argv[1:]):
        q = struct.pack('>HHHHHH', i + 7, 0x0100, 1, 0, 0, 0) + b''.join(bytes([len(l)]) + l.encode() for l in name.split('.')) + b'\\0\\0\\1\\0\\1'
        s = socket.create_connection(('127.0.0.11', 53), timeout=5)
        s.sendall(struct.pack('>H', len(q)) + q)
        def take(n):
            b = b''
            while len(b) < n:
                c = s.recv(n - len(b))
                if not c: raise SystemExit('closed')
                b += c
            return b
        r = take(struct.unpack('>H', take(2))[0])
        an = struct.unpack('>H', r[6:8])[0]
        ips = [socket.inet_ntoa(r[len(r) - 16 * (an - k) + 12:len(r) - 16 * (an - k) + 16]) for k in range(an)]
        print(name, r[3] & 15, ' '.join(ips))
    """

    /// An upstream resolver over TCP only: every A question gets 10.1.2.3.
    static let tcpUpstream = """
    import socket, struct
    l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); l.bind(('127.0.0.1', 53)); l.listen()
    while True:
        c, _ = l.accept()
        n = struct.unpack('>H', c.recv(2))[0]; q = c.recv(n)
        a = q[:2] + b'\\x81\\x80\\0\\1\\0\\1\\0\\0\\0\\0' + q[12:] + b'\\xc0\\x0c\\0\\1\\0\\1\\0\\0\\0\\x3c\\0\\4' + bytes([10, 1, 2, 3])
        c.sendall(struct.pack('>H', len(a)) + a); c.close()
    """

    @Test func theEmbeddedResolverAnswersOverTCPAndForwardsOverTCP() throws {
        let d = try Fixtures.daemonWithBusybox()
        defer { d.removeAllContainers() }
        let upstream = try d.netns.spawn(["/usr/bin/python3", "-c", Self.tcpUpstream])
        defer { NetNS.stop(upstream) }
        #expect(d.berth("network", "create", "--subnet", "10.96.0.0/24", "tcpdns").status == 0)
        #expect(d.berth("run", "-d", "--name", "db", "--network", "tcpdns", "--ip", "10.96.0.20", "--network-alias", "pg", "bb", "sleep", "100").status == 0)
        #expect(d.berth("run", "-d", "--name", "app", "--network", "tcpdns", "--dns", "127.0.0.1", "bb", "sleep", "100").status == 0)
        let id = d.berth("inspect", "-f", "{{.Id}}", "app").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let sandbox = "\(d.execRoot)/netns/\(id.prefix(12))"
        let r = NetworkTests.retry {
            Run.run("/usr/bin/nsenter", ["--net=\(sandbox)", "/usr/bin/python3", "-c", Self.tcpLookup, "db", "pg", "outside.example"])
        }
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        #expect(r.stdout == "db 0 10.96.0.20\npg 0 10.96.0.20\noutside.example 0 10.1.2.3\n",
                "container names and aliases over TCP; other names from the upstream over TCP: \(r.stdout)")
        // Only on an --internal network, nothing is forwarded: names outside fail (SERVFAIL).
        #expect(d.berth("network", "create", "--internal", "--subnet", "10.97.0.0/24", "closed").status == 0)
        #expect(d.berth("run", "-d", "--name", "inside", "--network", "closed", "--dns", "127.0.0.1", "bb", "sleep", "100").status == 0)
        let insideID = d.berth("inspect", "-f", "{{.Id}}", "inside").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let sealed = NetworkTests.retry {
            Run.run("/usr/bin/nsenter", ["--net=\(d.execRoot)/netns/\(insideID.prefix(12))", "/usr/bin/python3", "-c", Self.tcpLookup, "inside", "outside.example"])
        }
        #expect(sealed.stdout.hasPrefix("inside 0 10.97.0.") && sealed.stdout.contains("outside.example 2 \n"), "\(sealed.stdout) \(sealed.stderr)")
    }

    /// A container holding TCP connections to its resolver open, dripping nothing: past the
    /// limit new ones are closed at once, UDP still answers, and the held ones are cut at the
    /// deadline.
    static let slowClients = """
    import socket, struct, time
    held = []
    for _ in range(8):
        s = socket.create_connection(('127.0.0.11', 53), timeout=20); s.send(b'\\0'); held.append(s)
    time.sleep(0.5)
    extra = socket.create_connection(('127.0.0.11', 53), timeout=5)
    print('extra', 'closed' if extra.recv(1) == b'' else 'open')
    q = b'\\x12\\x34\\x01\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x02db\\x00\\x00\\x01\\x00\\x01'
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(5); u.sendto(q, ('127.0.0.11', 53))
    r = u.recv(512)
    print('udp', r[3] & 15, struct.unpack('>H', r[6:8])[0])
    print('held', ' '.join('closed' if s.recv(1) == b'' else 'open' for s in held))
    """

    @Test func slowTCPClientsAreCappedAndCutOffWhileUDPStillAnswers() throws {
        let d = try Fixtures.daemonWithBusybox()
        defer { d.removeAllContainers() }
        #expect(d.berth("network", "create", "--subnet", "10.84.0.0/24", "drip").status == 0)
        #expect(d.berth("run", "-d", "--name", "db", "--network", "drip", "bb", "sleep", "100").status == 0)
        #expect(d.berth("run", "-d", "--name", "app", "--network", "drip", "bb", "sleep", "100").status == 0)
        let id = d.berth("inspect", "-f", "{{.Id}}", "app").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let r = Run.run("/usr/bin/nsenter", ["--net=\(d.execRoot)/netns/\(id.prefix(12))", "/usr/bin/python3", "-c", Self.slowClients])
        #expect(r.stdout == "extra closed\nudp 0 1\nheld " + Array(repeating: "closed", count: 8).joined(separator: " ") + "\n",
                "\(r.stdout) \(r.stderr)")
    }

    @Test func aDefaultBridgeContainerConnectedToAUserNetworkResolvesItsNames() throws {
        let d = try Fixtures.daemonWithBusybox()
        defer { d.removeAllContainers() }
        #expect(d.berth("network", "create", "--subnet", "10.85.0.0/24", "later").status == 0)
        #expect(d.berth("run", "-d", "--name", "peer", "--network", "later", "--ip", "10.85.0.30", "bb", "sleep", "100").status == 0)
        #expect(d.berth("run", "-d", "--name", "solo", "bb", "sleep", "100").status == 0)
        #expect(!d.berth("exec", "solo", "cat", "/etc/resolv.conf").stdout.contains("127.0.0.11"), "the default bridge keeps the host's resolvers")
        #expect(d.berth("network", "connect", "later", "solo").status == 0)
        let r = d.berth("exec", "solo", "sh", "-c", "cat /etc/resolv.conf; nslookup peer")
        #expect(r.stdout.contains("nameserver 127.0.0.11") && r.stdout.contains("Address: 10.85.0.30"), "\(r.stdout) \(r.stderr)")
    }
}
