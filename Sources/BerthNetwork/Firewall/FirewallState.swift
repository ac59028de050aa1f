/// What berthd's packet filter must hold, as data: every bridge with its subnet and policy,
/// every published port. Each change renders the whole state again into berthd's own chains,
/// replaced in one atomic step, so the rules are always a function of what runs — nothing to
/// leak, and a berthd restart restores them by rendering the same state.
public struct FirewallState: Sendable, Equatable {
    public struct Bridge: Sendable, Equatable {
        public var name: String
        public var subnet: IPv4Subnet
        /// No traffic in or out of the bridge except between its containers (`--internal`).
        public var `internal`: Bool
        /// Outbound traffic is masqueraded (Docker's `enable_ip_masquerade`).
        public var masquerade: Bool
        /// Containers on the bridge reach each other (Docker's `enable_icc`).
        public var icc: Bool
        public init(name: String, subnet: IPv4Subnet, internal: Bool, masquerade: Bool = true, icc: Bool = true) {
            self.name = name
            self.subnet = subnet
            self.internal = `internal`
            self.masquerade = masquerade
            self.icc = icc
        }
    }

    /// One published port: traffic to the host's `hostPort` (on `hostIP`, or on every local
    /// address when nil) goes to `containerIP:containerPort`.
    public struct PortForward: Sendable, Equatable, Hashable, Codable {
        public var proto: PortProtocol
        public var hostIP: IPv4Address?
        public var hostPort: UInt16
        public var containerIP: IPv4Address
        public var containerPort: UInt16
        public var bridge: String
        public init(proto: PortProtocol, hostIP: IPv4Address?, hostPort: UInt16, containerIP: IPv4Address, containerPort: UInt16, bridge: String) {
            self.proto = proto
            self.hostIP = hostIP
            self.hostPort = hostPort
            self.containerIP = containerIP
            self.containerPort = containerPort
            self.bridge = bridge
        }
    }

    public var bridges: [Bridge] = []
    public var forwards: [PortForward] = []
    public init() {}
}

/// `tcp`, `udp` (Docker also knows `sctp`, which berthd does not publish).
public enum PortProtocol: String, Sendable, Codable, Hashable, CaseIterable {
    case tcp, udp
}
