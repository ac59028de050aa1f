/// berthd's rules as `iptables-restore --noflush` input. Declaring a chain in that mode empties
/// it, so each rendering replaces the BERTH chains whole, per table, atomically; the built-in
/// chains only get the jumps into them (`hooks`), added once.
///
/// Published ports are DNAT rules reached from PREROUTING (traffic from elsewhere) and from
/// OUTPUT (the host itself, 127.0.0.1 included: the bridge has route_localnet, and traffic from
/// a local address to the bridge is masqueraded so the reply comes back through NAT).
public enum IPTablesRules {
    static let natChains = ["BERTH", "BERTH-POSTROUTING"]
    static let filterChains = ["BERTH-FORWARD", "BERTH-ISOLATION-1", "BERTH-ISOLATION-2"]

    /// The jumps from the built-in chains, as (table, chain, rule without -A/-I).
    public static let hooks: [(table: String, chain: String, rule: String)] = [
        ("nat", "PREROUTING", "-m addrtype --dst-type LOCAL -j BERTH"),
        ("nat", "OUTPUT", "-m addrtype --dst-type LOCAL -j BERTH"),
        ("nat", "POSTROUTING", "-j BERTH-POSTROUTING"),
        ("filter", "FORWARD", "-j BERTH-FORWARD"),
    ]

    /// The full script for `state`; `missingHooks` are inserted too (FORWARD's at the top, so
    /// another daemon's DROP policy or rules do not shadow berthd's).
    public static func render(_ state: FirewallState, missingHooks: [(table: String, chain: String, rule: String)] = hooks) -> String {
        var nat = natChains.map { ":\($0) - [0:0]" }
        for f in state.forwards {
            let dst = f.hostIP.map { "-d \($0)/32 " } ?? ""
            nat.append("-A BERTH \(dst)-p \(f.proto) -m \(f.proto) --dport \(f.hostPort) -j DNAT --to-destination \(f.containerIP):\(f.containerPort)")
        }
        for b in state.bridges {
            if !b.internal && b.masquerade {
                nat.append("-A BERTH-POSTROUTING -s \(b.subnet) ! -o \(b.name) -j MASQUERADE")
            }
            // Host → published port (127.0.0.1 too): the reply must come back through the host.
            nat.append("-A BERTH-POSTROUTING -o \(b.name) -m addrtype --src-type LOCAL -j MASQUERADE")
            // Container → host:port → container on the same bridge (hairpin).
            nat.append("-A BERTH-POSTROUTING -s \(b.subnet) -o \(b.name) -m conntrack --ctstate DNAT -j MASQUERADE")
        }
        var filter = filterChains.map { ":\($0) - [0:0]" }
        filter.append("-A BERTH-FORWARD -j BERTH-ISOLATION-1")
        for b in state.bridges {
            filter.append("-A BERTH-ISOLATION-1 -i \(b.name) ! -o \(b.name) -j BERTH-ISOLATION-2")
            filter.append("-A BERTH-ISOLATION-2 -o \(b.name) -j DROP")
        }
        for b in state.bridges where b.internal {
            filter.append("-A BERTH-FORWARD -i \(b.name) ! -o \(b.name) -j DROP")
            filter.append("-A BERTH-FORWARD -o \(b.name) ! -i \(b.name) -j DROP")
        }
        // Bridged traffic between two containers passes FORWARD (br_netfilter): icc off drops it,
        // published ports (accepted below) excepted, as Docker does.
        for f in state.forwards where state.bridges.contains(where: { $0.name == f.bridge && !$0.icc }) {
            filter.append("-A BERTH-FORWARD -d \(f.containerIP)/32 -i \(f.bridge) -o \(f.bridge) -p \(f.proto) -m \(f.proto) --dport \(f.containerPort) -j ACCEPT")
        }
        for b in state.bridges where !b.icc {
            // Replies of the connections accepted above (a published port reached through the bridge).
            filter.append("-A BERTH-FORWARD -i \(b.name) -o \(b.name) -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")
            filter.append("-A BERTH-FORWARD -i \(b.name) -o \(b.name) -j DROP")
        }
        for f in state.forwards {
            // Two host ports to one container port need one accept.
            let rule = "-A BERTH-FORWARD -d \(f.containerIP)/32 -o \(f.bridge) -p \(f.proto) -m \(f.proto) --dport \(f.containerPort) -j ACCEPT"
            if !filter.contains(rule) { filter.append(rule) }
        }
        for b in state.bridges {
            filter.append("-A BERTH-FORWARD -o \(b.name) -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")
            filter.append("-A BERTH-FORWARD -i \(b.name) -j ACCEPT")
            filter.append("-A BERTH-FORWARD -o \(b.name) -j DROP")
        }
        for h in missingHooks {
            let line = h.chain == "FORWARD" ? "-I FORWARD 1 \(h.rule)" : "-A \(h.chain) \(h.rule)"
            if h.table == "nat" { nat.append(line) } else { filter.append(line) }
        }
        return (["*nat"] + nat + ["COMMIT", "*filter"] + filter + ["COMMIT"]).joined(separator: "\n") + "\n"
    }

    /// The hooks `iptables-save` output (both tables) does not show yet.
    public static func missingHooks(in saved: String) -> [(table: String, chain: String, rule: String)] {
        var table = ""
        var present: Set<String> = []
        for line in saved.split(separator: "\n") {
            if line.hasPrefix("*") { table = String(line.dropFirst()) } else if line.hasPrefix("-A ") { present.insert("\(table) \(line.dropFirst(3))") }
        }
        return hooks.filter { !present.contains("\($0.table) \($0.chain) \($0.rule)") }
    }
}
