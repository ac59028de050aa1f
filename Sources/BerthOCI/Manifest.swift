import Foundation

/// An image manifest: one config and an ordered list of layers (OCI or Docker v2 schema 2).
public struct Manifest: Codable, Hashable, Sendable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var artifactType: String?
    public var config: Descriptor
    public var layers: [Descriptor]
    public var subject: Descriptor?
    public var annotations: [String: String]?

    public init(mediaType: String = MediaType.ociManifest, config: Descriptor, layers: [Descriptor], annotations: [String: String]? = nil) {
        self.schemaVersion = 2
        self.mediaType = mediaType
        self.config = config
        self.layers = layers
        self.annotations = annotations
    }
}

/// An index (manifest list): manifests for several platforms.
public struct Index: Codable, Hashable, Sendable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var manifests: [Descriptor]
    public var annotations: [String: String]?

    public init(mediaType: String = MediaType.ociIndex, manifests: [Descriptor], annotations: [String: String]? = nil) {
        self.schemaVersion = 2
        self.mediaType = mediaType
        self.manifests = manifests
        self.annotations = annotations
    }
}

/// A decoded image document whose kind was decided from its content, not guessed.
public enum ImageDocument: Sendable {
    case manifest(Manifest)
    case index(Index)

    /// Largest manifest or index accepted, as in the distribution registry.
    public static let maxSize = 4 * 1024 * 1024

    /// Decodes a manifest or index. A document carrying both `manifests` and `layers`/`config`
    /// is refused as ambiguous, as is a `mediaType` that disagrees with `declaredType`.
    public static func decode(_ data: Data, declaredType: String? = nil) throws(OCIError) -> ImageDocument {
        guard data.count <= maxSize else {
            throw OCIError(.invalid, "image document of \(data.count) bytes exceeds the \(maxSize)-byte limit")
        }
        struct Probe: Decodable {
            var schemaVersion: Int?
            var mediaType: String?
            var manifests: [Descriptor]?
            var layers: [Descriptor]?
            var config: Descriptor?
        }
        let probe: Probe
        do { probe = try JSONDecoder().decode(Probe.self, from: data) } catch {
            throw OCIError(.invalid, "image document is not valid JSON: \(error)")
        }
        guard probe.schemaVersion == 2 else {
            throw OCIError(.unsupported, "image document schemaVersion \(probe.schemaVersion.map(String.init) ?? "missing") is not supported (only 2)")
        }
        if probe.manifests != nil, probe.layers != nil || probe.config != nil {
            throw OCIError(.invalid, "ambiguous image document: it has both \"manifests\" and \"layers\"/\"config\"")
        }
        if let declared = declaredType, let own = probe.mediaType, declared != own {
            throw OCIError(.invalid, "image document says mediaType \(own) but was served as \(declared)")
        }
        do {
            if probe.manifests != nil {
                if let t = probe.mediaType, !MediaType.isIndex(t) { throw OCIError(.invalid, "document with \"manifests\" has mediaType \(t)") }
                return .index(try JSONDecoder().decode(Index.self, from: data))
            }
            if let t = probe.mediaType, !MediaType.isManifest(t) {
                throw OCIError(.unsupported, "unsupported image document mediaType \(t)")
            }
            return .manifest(try JSONDecoder().decode(Manifest.self, from: data))
        } catch let e as OCIError {
            throw e
        } catch {
            throw OCIError(.invalid, "malformed image document: \(error)")
        }
    }
}
