import NIOCore
import Synchronization

/// Lets a connection cancel its running handler when the client goes away.
///
/// A client that disconnects (docker `run -d` drops its `/wait`, Ctrl-C on `logs -f`) closes the
/// channel; the handler, possibly blocked on an engine event, is then cancelled, like dockerd's
/// request context. `EventLoopFuture.get()` cannot be cancelled, hence this small waiter list.
final class CloseSignal: Sendable {
    private struct State {
        var closed = false
        var nextID = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var cancelled: Set<Int> = []
    }

    private let state = Mutex(State())

    init(_ closeFuture: EventLoopFuture<Void>) {
        closeFuture.whenComplete { _ in self.fire() }
    }

    /// Runs `operation` in a child task, cancelling it if the connection closes before it finishes.
    func cancellingOnClose(_ operation: @escaping @Sendable () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await operation()
                return true
            }
            group.addTask {
                await self.wait()
                return false
            }
            while let operationFinished = try await group.next() {
                group.cancelAll()
                if operationFinished { return }
            }
        }
    }

    /// Returns when the connection closes or the calling task is cancelled.
    func wait() async {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.closed || state.cancelled.remove(id) != nil { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                let waiter = state.waiters.removeValue(forKey: id)
                if waiter == nil { state.cancelled.insert(id) }
                return waiter
            }
            waiter?.resume()
        }
    }

    private func fire() {
        let waiters = state.withLock { state in
            state.closed = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }
}
