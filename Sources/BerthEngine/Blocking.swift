import BerthStore

/// The store's off-pool runner, under the name the engine's files use without importing the store.
typealias Blocking = BerthStore.Blocking
