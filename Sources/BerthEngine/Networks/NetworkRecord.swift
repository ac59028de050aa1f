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

    /// The network containers join when they name none (`default`, `bridge`).
    public var isDefaultBridge: Bool { name == NetworkRecord.defaultBridgeName }
    public var isBridge: Bool { driver == "bridge" }
    public var isBuiltIn: Bool { ["bridge", "host", "none"].contains(name) }

    public static let defaultBridgeName = "bridge"

    public var shortID: String { String(id.prefix(12)) }
}
