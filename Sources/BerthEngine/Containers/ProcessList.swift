/// `docker top`'s answer: `ps`'s column titles and one row per process of the container.
public struct ProcessList: Sendable, Equatable {
    public var titles: [String]
    public var processes: [[String]]
}
