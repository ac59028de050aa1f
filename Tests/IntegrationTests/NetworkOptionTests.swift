import Foundation
import Testing

/// The network flags of `network create`, `run` and `network connect` that Docker takes: each
/// works, or is refused with a message naming it (IPv6, link-local addresses, swarm scopes).
@Suite(.serialized) struct NetworkOptionTests {
    static func berth(_ d: Daemon, _ args: [String]) -> Run.Result { Run.run(Binaries.berth, args, env: ["BERTH_HOST": d.host]) }

    @Test func aNetworkHandsOutAddressesFromItsIPRangeOnlyAndKeepsItsAuxAddresses() throws {
        let d = try Fixtures.daemonWithBusybox()
        defer { d.removeAllContainers() }
        let created = d.berth("network", "create", "--subnet", "10.97.0.0/24", "--ip-range", "10.97.0.128/28", "--aux-address", "router=10.97.0.128",
                              "-o", "com.docker.network.bridge.name=brtest", "-o", "com.docker.network.driver.mtu=1400",
                              "-o", "com.docker.network.bridge.enable_ip_masquerade=false", "--attachable", "--scope", "local", "ranged")
        #expect(created.status == 0, "\(created.stderr)")
        let ipam = d.berth("network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}} {{.IPRange}} {{.AuxiliaryAddresses.router}}{{end}} {{.Attachable}} {{.Scope}}", "ranged")
        #expect(ipam.stdout == "10.97.0.0/24 10.97.0.128/28 10.97.0.128 true local\n", "\(ipam.stdout) \(ipam.stderr)")
        let first = d.berth("run", "--rm", "--network", "ranged", "bb", "ip", "-o", "-4", "addr", "show", "eth0")
        #expect(first.stdout.contains("inet 10.97.0.129/24"), "the range's first address not reserved: \(first.stdout) \(first.stderr)")
        let fixed = d.berth("run", "--rm", "--network", "ranged", "--ip", "10.97.0.10", "bb", "ip", "-o", "-4", "addr", "show", "eth0")
        #expect(fixed.stdout.contains("inet 10.97.0.10/24"), "--ip may name any address of the subnet: \(fixed.stdout) \(fixed.stderr)")
        let aux = d.berth("run", "--rm", "--network", "ranged", "--ip", "10.97.0.128", "bb", "true")
        #expect(aux.status != 0 && aux.stderr.contains("10.97.0.128"), "an aux address is never given: \(aux.stderr)")
        let link = d.inNetns("ip", "-o", "link", "show", "brtest")
        #expect(link.status == 0 && link.stdout.contains("mtu 1400"), "the bridge has the name and MTU asked for: \(link.stdout) \(link.stderr)")
        let nat = d.inNetns("iptables-save", "-t", "nat").stdout
        #expect(!nat.contains("-s 10.97.0.0/24 ! -o brtest -j MASQUERADE") && nat.contains("-s 172.29.0.0/16 ! -o berth0 -j MASQUERADE"),
                "no masquerading for that network alone: \(nat)")
        // What berthd cannot do is refused, naming the flag.
        for (args, says) in [(["--ipv6"], "IPv6"), (["--scope", "swarm"], "swarm"), (["-o", "com.docker.network.bridge.foo=1"], "com.docker.network.bridge.foo"),
                             (["--subnet", "10.98.0.0/24", "--ip-range", "10.99.0.0/28"], "--ip-range"),
                             (["--subnet", "10.98.0.0/24", "--aux-address", "x=10.99.0.1"], "--aux-address"), (["--config-from", "ranged"], "config-only"),
                             (["--ipam-driver", "dhcp"], "IPAM driver dhcp"), (["--ipam-opt", "x=y"], "--ipam-opt")] {
            let r = Self.berth(d, ["network", "create"] + args + ["refused"])
            #expect(r.status != 0 && r.stderr.contains(says), "\(args): \(r.stderr)")
        }
        #expect(d.berth("network", "rm", "ranged").status == 0)
        #expect(d.inNetns("ip", "link", "show", "brtest").status != 0, "the bridge goes with the network")
    }

    @Test func iccOffIsolatesContainersOnTheNetworkAndHostBindingSetsThePortsAddress() throws {
        let d = try Fixtures.daemonWithBusybox()
        defer { d.removeAllContainers() }
        #expect(d.berth("network", "create", "--subnet", "10.98.0.0/24", "-o", "com.docker.network.bridge.enable_icc=false",
                        "-o", "com.docker.network.bridge.host_binding_ipv4=127.0.0.1", "apart").status == 0)
        #expect(d.berth("run", "-d", "--name", "a1", "--network", "apart", "--ip", "10.98.0.10", "-p", "8080:80", "-p", "10.98.0.1:8081:80", "bb",
                        "sh", "-c", "mkdir -p /www && echo published > /www/f && exec httpd -f -p 80 -h /www").status == 0)
        #expect(d.berth("run", "-d", "--name", "a2", "--network", "apart", "bb", "sleep", "100").status == 0)
        #expect(d.berth("exec", "a2", "ping", "-c", "1", "-W", "1", "10.98.0.10").status != 0, "containers on it do not reach each other")
        #expect(d.berth("exec", "a2", "ping", "-c", "1", "-W", "2", "10.98.0.1").status == 0, "the gateway is still reached")
        // A published port stays open to its neighbours, replies included.
        // (nc: busybox-static's wget crashes resolving in some images.)
        let viaPort = d.berth("exec", "a2", "sh", "-c", "printf 'GET /f HTTP/1.0\\r\\n\\r\\n' | nc -w 5 10.98.0.1 8081")
        #expect(viaPort.stdout.hasSuffix("\r\n\r\npublished\n"), "a neighbour reaches a1's published port: \(viaPort.stdout) \(viaPort.stderr)")
        let ports = d.berth("port", "a1", "80")
        #expect(Set(ports.stdout.split(separator: "\n")) == ["127.0.0.1:8080", "10.98.0.1:8081"], "a port published on no address takes host_binding_ipv4: \(ports.stdout) \(ports.stderr)")
        #expect(d.berth("rm", "-f", "a1", "a2").status == 0)
    }

    @Test func runTakesMacAddressDNSSearchAndOptionsAndRefusesIPv6AndLinkLocalAddresses() throws {
        let d = try Fixtures.daemonWithBusybox()
        defer { d.removeAllContainers() }
        #expect(d.berth("network", "create", "--subnet", "10.99.0.0/24", "opts").status == 0)
        let mac = d.berth("run", "--rm", "--mac-address", "92:d0:c6:0a:29:33", "bb", "ip", "-o", "link", "show", "eth0")
        #expect(mac.stdout.contains("link/ether 92:d0:c6:0a:29:33"), "\(mac.stdout) \(mac.stderr)")
        let viaDocker = d.docker("run", "--rm", "--network", "opts", "--mac-address", "92:d0:c6:0a:29:34", "bb", "ip", "-o", "link", "show", "eth0")
        #expect(viaDocker.stdout.contains("link/ether 92:d0:c6:0a:29:34"), "the docker CLI's top-level MacAddress: \(viaDocker.stdout) \(viaDocker.stderr)")
        let badMAC = d.berth("run", "--rm", "--mac-address", "01:00:5e:00:00:01", "bb", "true")
        #expect(badMAC.status != 0 && badMAC.stderr.contains("MAC address"), "\(badMAC.stderr)")
        for network in ["bridge", "opts"] {
            let r = d.berth("run", "--rm", "--network", network, "--dns-search", "example.test", "--dns-option", "ndots:3", "--dns-opt", "timeout:2",
                            "bb", "cat", "/etc/resolv.conf")
            #expect(r.stdout.contains("search example.test\n") && r.stdout.contains("options ndots:3 timeout:2\n"), "\(network): \(r.stdout) \(r.stderr)")
        }
        for (args, says) in [(["--ip6", "2001:db8::2"], "IPv6"), (["--link-local-ip", "169.254.1.1"], "link-local")] {
            let r = Self.berth(d, ["run", "--rm", "--network", "opts"] + args + ["bb", "true"])
            #expect(r.status == 125 && r.stderr.contains(says), "\(args): \(r.stderr)")
        }
        #expect(d.berth("run", "-d", "--name", "cc", "bb", "sleep", "100").status == 0)
        let six = d.berth("network", "connect", "--ip6", "2001:db8::3", "opts", "cc")
        #expect(six.status != 0 && six.stderr.contains("IPv6"), "\(six.stderr)")
        #expect(d.berth("rm", "-f", "cc").status == 0)
    }

    @Test func legacyLinksNameTheLinkedContainerInHostsAndEnvironment() throws {
        let d = try Fixtures.daemonWithBusybox()
        defer { d.removeAllContainers() }
        #expect(d.berth("run", "-d", "--name", "db", "--expose", "5432", "-e", "PGUSER=admin", "bb", "sleep", "100").status == 0)
        let ip = d.berth("inspect", "-f", "{{.NetworkSettings.IPAddress}}", "db").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let id = d.berth("inspect", "-f", "{{.Id}}", "db").stdout.prefix(12)
        let r = d.berth("run", "--rm", "--name", "web", "--link", "db:pg", "bb", "sh", "-c", "cat /etc/hosts; env; ping -c 1 -W 2 pg >/dev/null && echo reached")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("\(ip)\tpg \(id) db\n"), "/etc/hosts names it by alias, id and name: \(r.stdout)")
        for line in ["PG_PORT=tcp://\(ip):5432", "PG_PORT_5432_TCP=tcp://\(ip):5432", "PG_PORT_5432_TCP_ADDR=\(ip)", "PG_PORT_5432_TCP_PORT=5432",
                     "PG_PORT_5432_TCP_PROTO=tcp", "PG_NAME=/web/pg", "PG_ENV_PGUSER=admin", "reached"] {
            #expect(r.stdout.split(separator: "\n").contains { $0 == line }, "\(line) in \(r.stdout)")
        }
        let docker = d.docker("run", "--rm", "--link", "db", "bb", "grep", "-c", "\(ip)\tdb \(id)$", "/etc/hosts")
        #expect(docker.stdout == "1\n", "the docker CLI's --link: \(docker.stdout) \(docker.stderr)")
        // Links on a user network (what compose sends for `links:`): a name, no variables.
        #expect(d.berth("network", "create", "linked").status == 0)
        #expect(d.berth("network", "connect", "linked", "db").status == 0)
        let onNetwork = d.berth("run", "--rm", "--network", "linked", "--link", "db:store", "bb", "sh", "-c", "grep -c store /etc/hosts; env | grep -c STORE_")
        #expect(onNetwork.stdout == "1\n0\n", "\(onNetwork.stdout) \(onNetwork.stderr)")
        // The docker CLI sends them in the endpoint's config too.
        let endpointLinks = d.docker("run", "--rm", "--network", "linked", "--link", "db:store", "bb", "grep", "-c", "store", "/etc/hosts")
        #expect(endpointLinks.stdout == "1\n", "\(endpointLinks.stdout) \(endpointLinks.stderr)")
        let missing = d.berth("run", "--rm", "--link", "nope:x", "bb", "true")
        #expect(missing.status != 0 && missing.stderr.contains("could not get container for nope"), "\(missing.stderr)")
        #expect(d.berth("stop", "-t", "0", "db").status == 0)
        let stopped = d.berth("run", "--rm", "--link", "db:pg", "bb", "true")
        #expect(stopped.status != 0 && stopped.stderr.contains("Cannot link to a non running container"), "\(stopped.stderr)")
    }
}
