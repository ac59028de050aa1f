import Glibc
import Synchronization

/// The host's packet filter, as berthd drives it: the backend found on the host, and the
/// state last applied. Blocking: call it off the cooperative pool.
public final class Firewall: Sendable {
    public enum Backend: String, Sendable {
        /// iptables (legacy or nf_tables flavour), through iptables-save/-restore.
        case iptables
        /// nftables through `nft -f`, in a table of berthd's own (hosts without iptables).
        case nftables
        /// No packet filter: no NAT and no published ports.
        case none
    }

    public let backend: Backend
    /// The state last applied (nil: nothing yet, hooks unchecked). Held while applying, so
    /// two changes never interleave their scripts.
    private let applied = Mutex<FirewallState?>(nil)

    public init(backend: Backend) { self.backend = backend }

    /// `auto`: iptables when iptables-restore is on PATH (it also sits well beside another
    /// daemon's iptables rules), else nftables when nft is, else none.
    public static func detect(_ choice: String) throws(NetworkError) -> Backend {
        switch choice {
        case "iptables": return .iptables
        case "nftables": return .nftables
        case "none": return .none
        case "auto", "":
            if onPath("iptables-restore") && onPath("iptables-save") { return .iptables }
            return onPath("nft") ? .nftables : .none
        default: throw NetworkError(.invalid, "--firewall \(choice): use auto, iptables, nftables or none")
        }
    }

    static func onPath(_ program: String) -> Bool {
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/sbin:/usr/bin:/sbin:/bin"
        return path.split(separator: ":").contains { access("\($0)/\(program)", X_OK) == 0 }
    }

    /// Replaces berthd's rules with `state` (nothing when it is what was applied last).
    public func apply(_ state: FirewallState) throws(NetworkError) {
        guard backend != .none else { return }
        try applied.withLock { (last: inout FirewallState?) throws(NetworkError) in
            if last == state { return }
            if backend == .nftables {
                let r = try HostCommand.run("nft", ["-f", "-"], input: NFTablesRules.render(state))
                guard r.status == 0 else {
                    throw NetworkError(.system, "nft refused berthd's rules: \(r.stderr.isEmpty ? "exit status \(r.status.map(String.init) ?? "?")" : r.stderr)")
                }
                last = state
                return
            }
            var missing: [(table: String, chain: String, rule: String)] = []
            if last == nil {
                let nat = try HostCommand.run("iptables-save", ["-t", "nat"])
                let filter = try HostCommand.run("iptables-save", ["-t", "filter"])
                missing = IPTablesRules.missingHooks(in: nat.stdout + filter.stdout)
            }
            let script = IPTablesRules.render(state, missingHooks: missing)
            let r = try HostCommand.run("iptables-restore", ["--noflush", "--wait"], input: script)
            guard r.status == 0 else {
                throw NetworkError(.system, "iptables-restore refused berthd's rules: \(r.stderr.isEmpty ? "exit status \(r.status.map(String.init) ?? "?")" : r.stderr)")
            }
            last = state
        }
    }
}
