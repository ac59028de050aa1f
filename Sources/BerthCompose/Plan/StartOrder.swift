extension ComposeProject {
    /// Services in the order `up` starts them: every service after the ones it depends on (ties by
    /// name); `down` stops them in the reverse order. A dependency cycle is refused, naming it.
    public func startOrder() throws -> [String] {
        var order: [String] = []
        var state: [String: Bool] = [:]  // false: being visited, true: placed
        func visit(_ name: String, _ chain: [String]) throws {
            if state[name] == true { return }
            if state[name] == false {
                let cycle = chain[chain.firstIndex(of: name)!...] + [name]
                throw ComposeError.invalidProject("dependency cycle detected: \(cycle.joined(separator: " -> "))")
            }
            state[name] = false
            // A dependency whose profile is off (and not required) is not started.
            for dependency in (services[name]?.dependsOn ?? [:]).keys.sorted() where services[dependency] != nil {
                try visit(dependency, chain + [name])
            }
            state[name] = true
            order.append(name)
        }
        for name in services.keys.sorted() { try visit(name, []) }
        return order
    }
}
