/// A pointer to content: its media type, digest and size (OCI image spec, descriptor.md).
public struct Descriptor: Codable, Hashable, Sendable {
    public var mediaType: String
    public var digest: Digest
    public var size: Int64
    public var urls: [String]?
    public var annotations: [String: String]?
    public var platform: Platform?
    public var artifactType: String?

    public init(mediaType: String, digest: Digest, size: Int64, annotations: [String: String]? = nil, platform: Platform? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.annotations = annotations
        self.platform = platform
    }
}

/// The platform an image runs on.
public struct Platform: Codable, Hashable, Sendable, CustomStringConvertible {
    public var architecture: String
    public var os: String
    public var variant: String?
    public var osVersion: String?
    public var osFeatures: [String]?

    enum CodingKeys: String, CodingKey {
        case architecture, os, variant
        case osVersion = "os.version"
        case osFeatures = "os.features"
    }

    public init(architecture: String, os: String, variant: String? = nil) {
        self.architecture = architecture
        self.os = os
        self.variant = variant
    }

    /// The machine this process runs on, in OCI/Go naming.
    public static var host: Platform {
        #if arch(x86_64)
        Platform(architecture: "amd64", os: "linux")
        #elseif arch(arm64)
        Platform(architecture: "arm64", os: "linux", variant: "v8")
        #else
        Platform(architecture: "unknown", os: "linux")
        #endif
    }

    public var description: String { [os, architecture, variant].compactMap { $0 }.joined(separator: "/") }
}
