/// berthd's rules as an `nft -f` script for hosts that have nftables but no iptables: one
/// table of berthd's own (`ip berth`), deleted and made again whole in one transaction, so
/// each rendering replaces every rule atomically and nothing else on the host is touched.
public enum NFTablesRules {
    public static func render(_ state: FirewallState) -> String {
        var ports: [String] = [], post: [String] = [], forward: [String] = []
        for f in state.forwards {
            let dst = f.hostIP.map { "ip daddr \($0) " } ?? ""
            ports.append("\(dst)\(f.proto) dport \(f.hostPort) dnat to \(f.containerIP):\(f.containerPort)")
        }
        let names = state.bridges.map(\.name)
        for b in state.bridges {
            if !b.internal && b.masquerade { post.append("ip saddr \(b.subnet) oifname != \"\(b.name)\" masquerade") }
            // Host → published port from 127.0.0.1: the reply must come back through the host.
            post.append("ip saddr 127.0.0.0/8 oifname \"\(b.name)\" masquerade")
            post.append("ip saddr \(b.subnet) oifname \"\(b.name)\" ct status dnat masquerade")
            let others = names.filter { $0 != b.name }
            if !others.isEmpty {
                forward.append("iifname \"\(b.name)\" oifname { \(others.map { "\"\($0)\"" }.joined(separator: ", ")) } drop")
            }
        }
        for b in state.bridges where b.internal {
            forward.append("iifname \"\(b.name)\" oifname != \"\(b.name)\" drop")
            forward.append("oifname \"\(b.name)\" iifname != \"\(b.name)\" drop")
        }
        // icc off: bridged traffic between containers is dropped, published ports and the replies
        // of accepted connections excepted, as with iptables.
        for f in state.forwards where state.bridges.contains(where: { $0.name == f.bridge && !$0.icc }) {
            forward.append("ip daddr \(f.containerIP) iifname \"\(f.bridge)\" oifname \"\(f.bridge)\" \(f.proto) dport \(f.containerPort) accept")
        }
        for b in state.bridges where !b.icc {
            forward.append("iifname \"\(b.name)\" oifname \"\(b.name)\" ct state related,established accept")
            forward.append("iifname \"\(b.name)\" oifname \"\(b.name)\" drop")
        }
        for f in state.forwards {
            let rule = "ip daddr \(f.containerIP) oifname \"\(f.bridge)\" \(f.proto) dport \(f.containerPort) accept"
            if !forward.contains(rule) { forward.append(rule) }
        }
        for b in state.bridges {
            forward.append("oifname \"\(b.name)\" ct state related,established accept")
            forward.append("iifname \"\(b.name)\" accept")
            forward.append("oifname \"\(b.name)\" drop")
        }
        func chain(_ name: String, _ hook: String?, _ rules: [String]) -> String {
            let head = hook.map { "\t\t\($0); policy accept;\n" } ?? ""
            return "\tchain \(name) {\n\(head)" + rules.map { "\t\t\($0)\n" }.joined() + "\t}\n"
        }
        return "table ip berth\ndelete table ip berth\ntable ip berth {\n"
            + chain("ports", nil, ports)
            + chain("prerouting", "type nat hook prerouting priority dstnat", ["fib daddr type local jump ports"])
            + chain("output", "type nat hook output priority -100", ["fib daddr type local jump ports"])
            + chain("postrouting", "type nat hook postrouting priority srcnat", post)
            + chain("forward", "type filter hook forward priority filter", forward)
            + "}\n"
    }
}
