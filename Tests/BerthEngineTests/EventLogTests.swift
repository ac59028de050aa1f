@testable import BerthEngine
import Testing

/// The engine's event window and its subscribers.
struct EventLogTests {
    static func event(_ n: Int64) -> Event {
        Event(type: "container", action: "start", actorID: "c\(n)", attributes: [:], timeNano: n)
    }

    @Test func aSubscriberGetsThePastFromSinceThenLiveEventsWithoutGapsOrRepeats() async {
        let log = EventLog(capacity: 10)
        for n: Int64 in 1...5 { await log.publish(Self.event(n)) }
        let (past, live, token) = await log.subscribe(since: 3)
        #expect(past.map(\.timeNano) == [3, 4, 5])
        await log.publish(Self.event(6))
        await log.publish(Self.event(7))
        await log.unsubscribe(token)
        var seen: [Int64] = []
        for await e in live { seen.append(e.timeNano) }
        #expect(seen == [6, 7], "the stream ends at unsubscribe")
    }

    @Test func withoutSinceOnlyNewEventsCome() async {
        let log = EventLog()
        await log.publish(Self.event(1))
        let (past, _, token) = await log.subscribe(since: nil)
        #expect(past.isEmpty)
        await log.unsubscribe(token)
    }

    @Test func theWindowKeepsTheLastCapacityEvents() async {
        let log = EventLog(capacity: 3)
        for n: Int64 in 1...7 { await log.publish(Self.event(n)) }
        let (past, _, token) = await log.subscribe(since: 0)
        #expect(past.map(\.timeNano) == [5, 6, 7])
        await log.unsubscribe(token)
    }
}
