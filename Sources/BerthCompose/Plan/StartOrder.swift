extension ComposeProject {
    /// Services in the order `up` starts them: every service after the ones it depends on, the
    /// first by name among those ready (Kahn's algorithm, no recursion, linear in the number of
    /// dependencies); `down` stops them in the reverse order. A dependency cycle is refused, naming it.
    public func startOrder() throws -> [String] {
        // A dependency whose profile is off (and not required) is not started.
        var waiting: [String: Int] = [:]
        var dependents: [String: [String]] = [:]
        for (name, service) in services {
            let present = (service.dependsOn ?? [:]).keys.filter { services[$0] != nil }
            waiting[name] = present.count
            for dependency in present { dependents[dependency, default: []].append(name) }
        }
        var ready = NameHeap(waiting.filter { $0.value == 0 }.map(\.key))
        var order: [String] = []
        order.reserveCapacity(services.count)
        while let name = ready.popFirst() {
            order.append(name)
            waiting[name] = nil
            for dependent in dependents[name] ?? [] {
                let left = (waiting[dependent] ?? 1) - 1
                waiting[dependent] = left
                if left == 0 { ready.insert(dependent) }
            }
        }
        guard !waiting.isEmpty else { return order }
        // Every service left waits on another one left: following the first of them from the
        // first by name must come back to one already seen.
        var path: [String] = []
        var seen: [String: Int] = [:]
        var name = waiting.keys.min() ?? ""
        while seen[name] == nil {
            seen[name] = path.count
            path.append(name)
            name = (services[name]?.dependsOn ?? [:]).keys.filter { waiting[$0] != nil }.min() ?? name
        }
        let cycle = path[(seen[name] ?? 0)...] + [name]
        throw ComposeError.invalidProject("dependency cycle detected: \(cycle.joined(separator: " -> "))")
    }
}

/// Names, the smallest first out (a binary min-heap).
private struct NameHeap {
    private var items: [String] = []

    init(_ names: [String]) { for n in names { insert(n) } }

    mutating func insert(_ name: String) {
        items.append(name)
        var i = items.count - 1
        while i > 0, items[(i - 1) / 2] > items[i] {
            items.swapAt(i, (i - 1) / 2)
            i = (i - 1) / 2
        }
    }

    mutating func popFirst() -> String? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let first = items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < items.count, items[l] < items[m] { m = l }
            if r < items.count, items[r] < items[m] { m = r }
            if m == i { return first }
            items.swapAt(i, m)
            i = m
        }
    }
}
