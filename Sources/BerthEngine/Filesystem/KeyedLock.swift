/// Mutual exclusion per key across `await`s (actor methods alone are reentrant): a waiter
/// gets the lock handed over in arrival order.
actor KeyedLock {
    private var held = Set<String>()
    private var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]

    func lock(_ key: String) async {
        guard held.insert(key).inserted else {
            // `unlock` hands the lock over without releasing it.
            await withCheckedContinuation { waiters[key, default: []].append($0) }
            return
        }
    }

    /// Takes the lock for `key` if nobody holds it; never waits.
    func tryLock(_ key: String) -> Bool { held.insert(key).inserted }

    func unlock(_ key: String) {
        if var queue = waiters[key], !queue.isEmpty {
            let next = queue.removeFirst()
            waiters[key] = queue.isEmpty ? nil : queue
            next.resume()
        } else {
            held.remove(key)
        }
    }

    /// Runs `body` holding the lock for `key`.
    func withLock<T: Sendable>(_ key: String, _ body: @Sendable () async throws -> T) async throws -> T {
        await lock(key)
        do {
            let value = try await body()
            unlock(key)
            return value
        } catch {
            unlock(key)
            throw error
        }
    }
}
