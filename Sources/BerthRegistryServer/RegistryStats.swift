import BerthStore
import Foundation

/// Pull counts and push times per repository and reference, kept in `_stats.json` for the HTML page.
///
/// A pull is a manifest GET (not HEAD): `docker pull` makes one per image, by tag.
actor RegistryStats {
    /// What is recorded for one repository.
    struct Repository: Codable, Sendable {
        var pulls: [String: Int] = [:]
        /// Unix time of the last push, by tag or digest.
        var pushed: [String: Double] = [:]
    }

    let storage: RegistryStorage
    private var cache: [String: Repository] = [:]

    init(storage: RegistryStorage) { self.storage = storage }

    func path(_ name: String) -> String { "\(storage.repositoryDir(name))/_stats.json" }

    /// The recorded numbers of repository `name`.
    func of(_ name: String) -> Repository {
        if let cached = cache[name] { return cached }
        let loaded = FileManager.default.contents(atPath: path(name)).flatMap { try? JSONDecoder().decode(Repository.self, from: $0) } ?? Repository()
        cache[name] = loaded
        return loaded
    }

    func recordPull(_ name: String, reference: String) {
        var stats = of(name)
        stats.pulls[reference, default: 0] += 1
        save(name, stats)
    }

    func recordPush(_ name: String, reference: String) {
        var stats = of(name)
        stats.pushed[reference] = Date().timeIntervalSince1970
        save(name, stats)
    }

    private func save(_ name: String, _ stats: Repository) {
        cache[name] = stats
        if let data = try? JSONEncoder().encode(stats) { try? storage.writeLink(path(name), data) }
    }
}
