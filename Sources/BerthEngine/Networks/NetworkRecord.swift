import BerthNetwork
import Foundation

/// A network as berthd keeps it (`networks/<id>.json`): the built-in `bridge`, `host` and
/// `none`, and user-defined bridge networks.
public struct NetworkRecord: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    /// `bridge`, `host` or `null` (Docker's name for `none`'s driver).
    public var driver: String
    public var created: Date
    /// Bridge networks: the subnet, the gateway (the bridge's own address) and the Linux bridge.
    public var subnet: IPv4Subnet?
    public var gateway: IPv4Address?
    public var bridge: String?
    public var `internal` = false
    public var attachable = false
    public var labels: [String: String] = [:]
    /// Driver options as given at create (Docker echoes them back; compose compares them).
    public var options: [String: String] = [:]
    public var mtu = 1500
    /// `--ip-range`: containers get addresses from this part of the subnet only (`--ip` may
    /// still name any address of the subnet).
    public var ipRange: IPv4Subnet?
    /// `--aux-address name=ip`: addresses no container gets.
    public var auxAddresses: [String: IPv4Address]?
    /// `com.docker.network.bridge.enable_ip_masquerade=false`: no NAT out of the network.
    public var noMasquerade: Bool?
    /// `com.docker.network.bridge.enable_icc=false`: containers on it cannot reach each other.
    public var noICC: Bool?
    /// `com.docker.network.bridge.host_binding_ipv4`: the host address of ports published
    /// without one.
    public var hostBinding: IPv4Address?

    /// The network containers join when they name none (`default`, `bridge`).
    public var isDefaultBridge: Bool { name == NetworkRecord.defaultBridgeName }
    public var isBridge: Bool { driver == "bridge" }
    public var isBuiltIn: Bool { ["bridge", "host", "none"].contains(name) }

    public static let defaultBridgeName = "bridge"

    public var shortID: String { String(id.prefix(12)) }
}
