/// The engine's recent events and their live subscribers. Like dockerd it keeps a bounded
/// window in memory: `since` reaches back over the last `capacity` events, never across a
/// berthd restart.
public actor EventLog {
    public let capacity: Int
    private var recent: [Event] = []
    private var subscribers: [Int: AsyncStream<Event>.Continuation] = [:]
    private var nextSubscriber = 0

    public init(capacity: Int = 1024) { self.capacity = capacity }

    func publish(_ event: Event) {
        recent.append(event)
        if recent.count > capacity { recent.removeFirst(recent.count - capacity) }
        for c in subscribers.values { c.yield(event) }
    }

    /// The kept events from `since` on (nanoseconds; none when nil), and the events after
    /// them as they happen, with nothing lost or repeated in between. The stream ends when
    /// `unsubscribe` is called with the returned token or the reading task is cancelled.
    public func subscribe(since: Int64?) -> (past: [Event], live: AsyncStream<Event>, token: Int) {
        let past = since.map { s in recent.filter { $0.timeNano >= s } } ?? []
        let (stream, continuation) = AsyncStream<Event>.makeStream(bufferingPolicy: .bufferingNewest(capacity))
        nextSubscriber += 1
        let token = nextSubscriber
        subscribers[token] = continuation
        continuation.onTermination = { _ in Task { await self.unsubscribe(token) } }
        return (past, stream, token)
    }

    public func unsubscribe(_ token: Int) {
        subscribers.removeValue(forKey: token)?.finish()
    }
}
