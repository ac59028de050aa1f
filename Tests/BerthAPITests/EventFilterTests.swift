@testable import BerthAPI
import BerthEngine
import Testing

/// Docker's `/events` filters (moby daemon/events/filter.go), event by event.
struct EventFilterTests {
    static let start = Event(type: "container", action: "start", actorID: "abc123def", attributes: ["image": "busybox:1.36", "name": "web", "tier": "front"], timeNano: 1)
    static let health = Event(type: "container", action: "health_status: healthy", actorID: "abc123def", attributes: ["image": "busybox", "name": "web"], timeNano: 2)
    static let tag = Event(type: "image", action: "tag", actorID: "sha256:f00", attributes: ["name": "busybox:1.36"], timeNano: 3)

    @Test(arguments: [
        ([:], [true, true, true]),
        (["type": ["container"]], [true, true, false]),
        (["type": ["image", "container"]], [true, true, true]),
        (["event": ["start"]], [true, false, false]),
        (["event": ["health_status"]], [false, true, false]),
        (["event": ["health_status: healthy", "tag"]], [false, true, true]),
        (["container": ["web"]], [true, true, false]),
        (["container": ["abc"]], [true, true, false]),
        (["container": ["we", "nope"]], [true, true, false]),
        (["container": ["eb"]], [false, false, false]),
        (["image": ["busybox"]], [true, true, true]),
        (["image": ["busybox:1.36"]], [true, false, true]),
        (["image": ["sha256:f00"]], [false, false, true]),
        (["label": ["tier"]], [true, false, false]),
        (["label": ["tier=back"]], [false, false, false]),
        (["scope": ["swarm"]], [false, false, false]),
        (["type": ["container"], "event": ["start"], "container": ["web"], "label": ["tier=front"]], [true, false, false]),
    ] as [([String: [String]], [Bool])])
    func filtersMatchAsDockersDo(filters: [String: [String]], expected: [Bool]) throws {
        let f = try EventFilter(filters)
        #expect([Self.start, Self.health, Self.tag].map(f.includes) == expected)
    }

    @Test func unknownKeysAreRefused() {
        #expect(throws: EventFilterError.self) { try EventFilter(["colour": ["red"]]) }
    }

    @Test(arguments: [("busybox:1.36", "busybox"), ("localhost:5000/app", "localhost:5000/app"), ("localhost:5000/app:v1", "localhost:5000/app"), ("sha256:f00", "sha256")])
    func tagsAreStrippedButNotRegistryPorts(name: String, stripped: String) {
        #expect(EventFilter.stripTag(name) == stripped)
    }
}
