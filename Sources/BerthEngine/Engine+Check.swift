import BerthStore

extension Engine {
    /// `berth system check`: every blob re-hashed against its name, every image's manifest,
    /// config, layer blobs and snapshot chain present and consistent. Problems are listed,
    /// nothing is repaired. An image removed while the check runs may show up as missing parts.
    public func checkStore() async throws -> StoreCheck {
        let records = await images.images()
        let content = content, snapshots = snapshots
        return try await Blocking.run { StoreCheck.run(content: content, snapshots: snapshots, images: records) }
    }
}
