import BerthNetwork
import Testing

@Suite struct IPTablesRulesTests {
    static func state() throws -> FirewallState {
        var s = FirewallState()
        s.bridges = [.init(name: "berth0", subnet: try #require(IPv4Subnet("172.29.0.0/16")), internal: false),
                     .init(name: "br-abc", subnet: try #require(IPv4Subnet("172.30.0.0/16")), internal: true)]
        s.forwards = [.init(proto: .tcp, hostIP: nil, hostPort: 8080, containerIP: try #require(IPv4Address("172.29.0.2")), containerPort: 80, bridge: "berth0"),
                      .init(proto: .udp, hostIP: IPv4Address("127.0.0.1"), hostPort: 5353, containerIP: try #require(IPv4Address("172.29.0.3")), containerPort: 53, bridge: "berth0")]
        return s
    }

    @Test func everyRenderingRedeclaresBerthsChainsSoTheyAreReplacedWhole() throws {
        let script = IPTablesRules.render(try Self.state(), missingHooks: [])
        let lines = script.split(separator: "\n").map(String.init)
        #expect(lines.first == "*nat")
        for chain in ["BERTH", "BERTH-POSTROUTING", "BERTH-FORWARD", "BERTH-ISOLATION-1", "BERTH-ISOLATION-2"] {
            #expect(lines.contains(":\(chain) - [0:0]"))
        }
        #expect(lines.filter { $0 == "COMMIT" }.count == 2)
        #expect(!lines.contains { $0.hasPrefix("-A PREROUTING") || $0.hasPrefix("-I FORWARD") }, "hooks present are not added again")
    }

    @Test func publishedPortsBecomeDNATAndForwardRules() throws {
        let lines = IPTablesRules.render(try Self.state(), missingHooks: []).split(separator: "\n").map(String.init)
        #expect(lines.contains("-A BERTH -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.29.0.2:80"))
        #expect(lines.contains("-A BERTH -d 127.0.0.1/32 -p udp -m udp --dport 5353 -j DNAT --to-destination 172.29.0.3:53"))
        #expect(lines.contains("-A BERTH-FORWARD -d 172.29.0.2/32 -o berth0 -p tcp -m tcp --dport 80 -j ACCEPT"))
    }

    @Test func onlyNonInternalBridgesAreMasqueradedAndInternalOnesAreSealed() throws {
        let lines = IPTablesRules.render(try Self.state(), missingHooks: []).split(separator: "\n").map(String.init)
        #expect(lines.contains("-A BERTH-POSTROUTING -s 172.29.0.0/16 ! -o berth0 -j MASQUERADE"))
        #expect(!lines.contains("-A BERTH-POSTROUTING -s 172.30.0.0/16 ! -o br-abc -j MASQUERADE"))
        #expect(lines.contains("-A BERTH-FORWARD -i br-abc ! -o br-abc -j DROP"))
        #expect(lines.contains("-A BERTH-ISOLATION-1 -i berth0 ! -o berth0 -j BERTH-ISOLATION-2"))
        #expect(lines.contains("-A BERTH-ISOLATION-2 -o br-abc -j DROP"))
    }

    @Test func masqueradeAndICCOffDropTheirRulesInBothBackends() throws {
        var s = try Self.state()
        s.bridges[0].masquerade = false
        s.bridges[0].icc = false
        let lines = IPTablesRules.render(s, missingHooks: []).split(separator: "\n").map(String.init)
        #expect(!lines.contains("-A BERTH-POSTROUTING -s 172.29.0.0/16 ! -o berth0 -j MASQUERADE"))
        let drop = try #require(lines.firstIndex(of: "-A BERTH-FORWARD -i berth0 -o berth0 -j DROP"))
        let accept = try #require(lines.firstIndex(of: "-A BERTH-FORWARD -i berth0 -j ACCEPT"))
        #expect(drop < accept, "containers on it do not reach each other")
        #expect(lines.contains("-A BERTH-FORWARD -d 172.29.0.2/32 -i berth0 -o berth0 -p tcp -m tcp --dport 80 -j ACCEPT"), "published ports still do")
        let replies = try #require(lines.firstIndex(of: "-A BERTH-FORWARD -i berth0 -o berth0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"))
        #expect(replies < drop, "and their replies come back")
        let nft = NFTablesRules.render(s).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(!nft.contains("ip saddr 172.29.0.0/16 oifname != \"berth0\" masquerade"))
        let nftDrop = try #require(nft.firstIndex(of: "iifname \"berth0\" oifname \"berth0\" drop"))
        let nftPort = try #require(nft.firstIndex(of: "ip daddr 172.29.0.2 iifname \"berth0\" oifname \"berth0\" tcp dport 80 accept"))
        let nftReplies = try #require(nft.firstIndex(of: "iifname \"berth0\" oifname \"berth0\" ct state related,established accept"))
        #expect(nftPort < nftDrop && nftReplies < nftDrop, "nftables keeps the published port and its replies open too")
    }

    @Test func onlyHooksMissingFromTheSavedTablesAreAdded() {
        let saved = """
            *nat
            :PREROUTING ACCEPT [0:0]
            -A PREROUTING -m addrtype --dst-type LOCAL -j BERTH
            -A POSTROUTING -j BERTH-POSTROUTING
            COMMIT
            *filter
            -A FORWARD -j DOCKER-USER
            COMMIT
            """
        let missing = IPTablesRules.missingHooks(in: saved).map { "\($0.table) \($0.chain)" }
        #expect(missing == ["nat OUTPUT", "filter FORWARD"])
        let script = IPTablesRules.render(FirewallState(), missingHooks: IPTablesRules.missingHooks(in: saved))
        #expect(script.contains("-I FORWARD 1 -j BERTH-FORWARD\n"), "berthd's FORWARD jump goes first, before another daemon's")
        #expect(script.contains("-A OUTPUT -m addrtype --dst-type LOCAL -j BERTH\n"))
    }

    @Test func theNFTablesScriptReplacesBerthsTableWhole() throws {
        let script = NFTablesRules.render(try Self.state())
        #expect(script.hasPrefix("table ip berth\ndelete table ip berth\ntable ip berth {\n"), "created if missing, then deleted and made again in one transaction")
        #expect(script.contains("\t\ttcp dport 8080 dnat to 172.29.0.2:80\n"))
        #expect(script.contains("\t\tip daddr 127.0.0.1 udp dport 5353 dnat to 172.29.0.3:53\n"))
        #expect(script.contains("ip saddr 172.29.0.0/16 oifname != \"berth0\" masquerade"))
        #expect(!script.contains("ip saddr 172.30.0.0/16 oifname != \"br-abc\" masquerade"), "internal bridges are not masqueraded")
        #expect(script.contains("iifname \"berth0\" oifname { \"br-abc\" } drop"), "bridges are isolated from each other")
    }
}
