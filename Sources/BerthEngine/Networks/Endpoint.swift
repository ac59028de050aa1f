import BerthNetwork
import Foundation

/// A container's attachment to one network: what was asked (at create or `network connect`)
/// and, while the container runs, what it got. The running half is how berthd's address
/// management survives a restart: berthd rebuilds its address pools from these.
public struct Endpoint: Codable, Sendable, Equatable {
    public var networkID: String
    /// `--network-alias`, compose's service names.
    public var aliases: [String]?
    /// `--ip`.
    public var requestedIP: IPv4Address?
    /// `--mac-address`.
    public var requestedMAC: MACAddress?
    /// Links scoped to this network (`name:alias`, what compose sends for `links:` and for
    /// `compose run`): the alias names the linked container in /etc/hosts while it runs.
    public var links: [String]?
    /// Set while the container runs.
    public var endpointID: String?
    public var interface: Interface?

    public init(networkID: String, aliases: [String]? = nil, requestedIP: IPv4Address? = nil) {
        self.networkID = networkID
        self.aliases = aliases
        self.requestedIP = requestedIP
    }
}

/// A port published for a running container: the rule's data, and the request it came from.
public struct PublishedPort: Codable, Sendable, Equatable {
    public var forward: FirewallState.PortForward

    /// `80/tcp`, the key Docker uses.
    public var key: String { "\(forward.containerPort)/\(forward.proto)" }
}
