import Synchronization

/// The latest row of each container `berth stats` follows, written by one reader thread per
/// container and read by the thread that redraws the table.
final class StatsBoard: Sendable {
    private let rows = Mutex<[String: StatsRow]>([:])
    /// Containers whose reader thread is running.
    private let reading = Mutex<Set<String>>([])

    /// The row of `container`, if there is one yet.
    func row(_ container: String) -> StatsRow? { rows.withLock { $0[container] } }

    func set(_ row: StatsRow) { rows.withLock { $0[row.container] = row } }

    /// Forgets containers no longer shown.
    func keep(only containers: Set<String>) { rows.withLock { $0 = $0.filter { containers.contains($0.key) } } }

    /// Claims `container` for a new reader; false when one already reads it.
    func startReading(_ container: String) -> Bool { reading.withLock { $0.insert(container).inserted } }

    func stopReading(_ container: String) { _ = reading.withLock { $0.remove(container) } }
}
