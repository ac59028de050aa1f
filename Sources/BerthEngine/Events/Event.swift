import Foundation
import Glibc

/// One entry of Docker's event stream (`GET /events`, `docker events`).
public struct Event: Sendable, Equatable {
    /// `container`, `image`, `volume`, …
    public let type: String
    /// `create`, `start`, `die`, `health_status: healthy`, `exec_start: sh -c true`, `tag`, …
    public let action: String
    /// The container's or image's id.
    public let actorID: String
    public let attributes: [String: String]
    /// Nanoseconds since 1970.
    public let timeNano: Int64

    public init(type: String, action: String, actorID: String, attributes: [String: String], timeNano: Int64) {
        self.type = type
        self.action = action
        self.actorID = actorID
        self.attributes = attributes
        self.timeNano = timeNano
    }

    /// The action without its detail: `health_status` for `health_status: healthy`.
    public var baseAction: String { action.split(separator: ":", maxSplits: 1).first.map(String.init) ?? action }

    /// Now, in nanoseconds since 1970 (a Date's Double would round them).
    static func now() -> Int64 {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        return Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec)
    }
}
