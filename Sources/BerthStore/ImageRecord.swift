import BerthOCI
import Foundation

/// An image in the local store: the manifest that describes it, indexed by its config digest
/// (Docker's image id).
public struct ImageRecord: Codable, Sendable, Hashable {
    /// Config digest: what `docker images` shows as IMAGE ID.
    public var id: Digest
    /// The manifest as stored (its media type says OCI or Docker).
    public var manifest: Descriptor
    public var layers: [Descriptor]
    public var diffIDs: [Digest]
    /// From the config's `created`.
    public var created: Date?
    /// Unpacked content size of all layers.
    public var size: Int64
    /// When this store got it.
    public var added: Date
    /// `repo@sha256:…` under which a registry knows it.
    public var repoDigests: [String]

    public init(id: Digest, manifest: Descriptor, layers: [Descriptor], diffIDs: [Digest], created: Date?, size: Int64, added: Date, repoDigests: [String] = []) {
        self.id = id
        self.manifest = manifest
        self.layers = layers
        self.diffIDs = diffIDs
        self.created = created
        self.size = size
        self.added = added
        self.repoDigests = repoDigests
    }

    /// Chain ids of the layers, naming their snapshots.
    public var chainIDs: [Digest] { ChainID.of(diffIDs) }
}
