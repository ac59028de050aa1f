import Dispatch

/// Runs blocking file work (extraction, tar writing, fsync, name resolution) off Swift's
/// cooperative pool, which has only as many threads as cores and must never be blocked.
public enum Blocking {
    static let queue = DispatchQueue(label: "berth.blocking", attributes: .concurrent)

    public static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { cont in
            queue.async {
                do { cont.resume(returning: try work()) } catch { cont.resume(throwing: error) }
            }
        }
    }
}
