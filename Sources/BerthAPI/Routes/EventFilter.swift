import BerthEngine

/// Docker's `/events` filters (moby daemon/events/filter.go): every key given must match;
/// within a key, any of its values.
struct EventFilter: Sendable {
    static let keys: Set<String> = ["container", "event", "image", "label", "type", "scope", "daemon", "volume", "network",
                                    "plugin", "node", "service", "secret", "config"]
    /// Keys matched by id or name prefix.
    static let objectKeys = ["container", "daemon", "volume", "network", "plugin", "node", "service", "secret", "config"]

    let filters: [String: [String]]

    init(_ filters: [String: [String]]) throws(EventFilterError) {
        for k in filters.keys where !Self.keys.contains(k) { throw EventFilterError(key: k) }
        self.filters = filters
    }

    func includes(_ e: Event) -> Bool {
        exact("type", e.type) && matchesAction(e) && exact("scope", "local") && matchesImage(e) && matchesLabels(e)
            && Self.objectKeys.allSatisfy { fuzzy($0, e.actorID) || fuzzy($0, e.attributes["name"] ?? "") }
    }

    private func exact(_ key: String, _ value: String) -> Bool {
        guard let values = filters[key] else { return true }
        return values.contains(value)
    }

    /// Equal, or the value is a prefix of the source (an id prefix, a name prefix).
    private func fuzzy(_ key: String, _ source: String) -> Bool {
        guard let values = filters[key] else { return true }
        return values.contains { source == $0 || (!$0.isEmpty && source.hasPrefix($0)) }
    }

    /// `health_status` also matches `health_status: healthy`, as do `exec_create`/`exec_start`.
    private func matchesAction(_ e: Event) -> Bool {
        guard let values = filters["event"] else { return true }
        return values.contains(e.action) || values.contains(e.baseAction)
    }

    /// The image id or name, for image events; the image a container runs, for container events.
    private func matchesImage(_ e: Event) -> Bool {
        guard let values = filters["image"] else { return true }
        let name = e.attributes[e.type == "image" ? "name" : "image"] ?? ""
        let candidates = [e.actorID, name, Self.stripTag(e.actorID), Self.stripTag(name)]
        return values.contains { candidates.contains($0) }
    }

    private func matchesLabels(_ e: Event) -> Bool {
        (filters["label"] ?? []).allSatisfy { label in
            let p = label.split(separator: "=", maxSplits: 1).map(String.init)
            guard let v = e.attributes[p[0]] else { return false }
            return p.count == 1 || p[1] == v
        }
    }

    /// `busybox:1` → `busybox` (a registry port's colon stays).
    static func stripTag(_ name: String) -> String {
        guard let colon = name.lastIndex(of: ":"), !name[colon...].contains("/") else { return name }
        return String(name[..<colon])
    }
}

/// An `/events` filter key Docker does not know.
struct EventFilterError: Error, CustomStringConvertible {
    let key: String
    var description: String {
        "invalid filter '\(key)': events accept \(EventFilter.keys.sorted().joined(separator: ", "))"
    }
}
