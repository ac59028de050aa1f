/// Where the registry of a reference's domain answers, Docker's way: `docker.io` (and
/// `index.docker.io`) is served by `registry-1.docker.io`.
public struct RegistryEndpoint: Sendable, Hashable {
    /// The domain as references name it: `docker.io`, `localhost:5000`.
    public let domain: String
    /// The host[:port] requests go to.
    public let host: String
    /// Plain HTTP and unverified TLS are allowed (see `InsecureRegistries`).
    public let insecure: Bool
    /// The host is this machine (127.0.0.0/8, ::1, localhost).
    public let loopback: Bool

    public init(domain: String, insecure: InsecureRegistries) {
        self.domain = domain
        host = Self.host(for: domain)
        self.insecure = insecure.allows(host)
        loopback = InsecureRegistries().allows(host)
    }

    /// The host serving `domain`.
    public static func host(for domain: String) -> String {
        switch domain {
        case "docker.io", "index.docker.io", "registry.hub.docker.com": "registry-1.docker.io"
        default: domain
        }
    }

    /// The domain a login server address names: `https://index.docker.io/v1/` → `docker.io`,
    /// `http://localhost:5000` → `localhost:5000`.
    public static func domain(ofServerAddress address: String) -> String {
        var s = address
        for scheme in ["https://", "http://"] where s.hasPrefix(scheme) { s = String(s.dropFirst(scheme.count)) }
        if let slash = s.firstIndex(of: "/") { s = String(s[..<slash]) }
        switch s {
        case "", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com": return "docker.io"
        default: return s.lowercased()
        }
    }
}
