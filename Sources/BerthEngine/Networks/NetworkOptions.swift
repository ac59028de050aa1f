import BerthNetwork

/// berthd's networking settings (its command-line flags).
public struct NetworkOptions: Sendable {
    /// The default bridge's Linux name (`--bridge`); nil (`--bridge none`) turns the default
    /// bridge off: containers that name no network get loopback only.
    public var bridgeName: String?
    /// The default bridge's subnet (`--bridge-subnet`). Not docker0's 172.17/16, so berthd and
    /// dockerd can run side by side.
    public var bridgeSubnet: IPv4Subnet
    /// `--mtu` for bridges and container interfaces.
    public var mtu: Int
    /// `--firewall auto|iptables|none`.
    public var firewall: String

    public init(bridgeName: String? = "berth0", bridgeSubnet: IPv4Subnet = IPv4Subnet(IPv4Address(0xAC1D_0000), prefixLength: 16),
                mtu: Int = 1500, firewall: String = "auto") {
        self.bridgeName = bridgeName
        self.bridgeSubnet = bridgeSubnet
        self.mtu = mtu
        self.firewall = firewall
    }
}
