import BerthStore

/// The store's off-pool runner (blocking file work off Swift's cooperative pool), under the
/// name the engine's and the API's files use.
public typealias Blocking = BerthStore.Blocking
