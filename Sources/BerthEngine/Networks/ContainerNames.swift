import BerthNetwork
import Synchronization

/// Who answers to which name on which network, for the embedded DNS of user networks, and the
/// resolver serving each container. Read from the resolvers' threads, so a mutex, not an actor.
final class ContainerNames: Sendable {
    private struct Entry {
        var networkID: String
        var names: [String]
        var address: IPv4Address
    }

    private struct State {
        /// Container id → its entries, one per user network it is on.
        var entries: [String: [Entry]] = [:]
        var resolvers: [String: ContainerResolver] = [:]
    }

    private let state = Mutex(State())

    /// `container` answers to `names` (lower-cased) at `address` on `networkID`.
    func register(_ container: String, networkID: String, names: [String], address: IPv4Address) {
        state.withLock { s in
            s.entries[container, default: []].removeAll { $0.networkID == networkID }
            s.entries[container, default: []].append(Entry(networkID: networkID, names: names.map { $0.lowercased() }, address: address))
        }
    }

    /// Forgets `container` on `networkID`, or everywhere (stopping its resolver) when nil.
    func unregister(_ container: String, networkID: String? = nil) {
        let resolver: ContainerResolver? = state.withLock { s in
            if let networkID {
                s.entries[container]?.removeAll { $0.networkID == networkID }
                return nil
            }
            s.entries[container] = nil
            return s.resolvers.removeValue(forKey: container)
        }
        resolver?.stop()
    }

    /// The addresses `name` has for `asker`: containers sharing one of its networks.
    func lookup(_ name: String, for asker: String) -> [IPv4Address]? {
        state.withLock { s in
            let mine = Set((s.entries[asker] ?? []).map(\.networkID))
            var found: [IPv4Address] = []
            for entries in s.entries.values {
                for e in entries where mine.contains(e.networkID) && e.names.contains(name) && !found.contains(e.address) {
                    found.append(e.address)
                }
            }
            return found.isEmpty ? nil : found
        }
    }

    /// Whether the container's resolver runs.
    func hasResolver(_ container: String) -> Bool { state.withLock { $0.resolvers[container] != nil } }

    /// Serves 127.0.0.11:53 in the container's namespace.
    func startResolver(_ container: String, netns: String, upstream: [IPv4Address]) throws {
        let resolver = try ContainerResolver(netns: netns, upstream: upstream) { [weak self] name in
            self?.lookup(name, for: container)
        }
        let old = state.withLock { s in
            let old = s.resolvers[container]
            s.resolvers[container] = resolver
            return old
        }
        old?.stop()
    }
}
