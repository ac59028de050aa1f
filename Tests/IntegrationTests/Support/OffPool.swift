import Foundation

/// Runs blocking work (a command, a daemon starting) on its own thread and awaits it. Tests
/// that mostly wait are `async` and wait through this, leaving the cooperative pool — two
/// threads on a two-core machine — to the servers and async tests running beside them.
func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

/// `offPool` for work that cannot fail.
func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: work()) }.start()
    }
}

extension Daemon {
    /// `berth` against this daemon, off the cooperative pool.
    @discardableResult
    func berth(_ args: String..., stdin: String? = nil) async -> Run.Result {
        let host = self.host
        return await offPool { Run.run(Binaries.berth, args, env: ["BERTH_HOST": host], stdinFile: stdin) }
    }

    /// The docker CLI against this daemon, off the cooperative pool.
    @discardableResult
    func docker(_ args: String...) async -> Run.Result {
        let host = self.host
        return await offPool { Run.run(Binaries.docker, args, env: ["DOCKER_HOST": host]) }
    }
}

extension Run {
    static func run(_ exe: String, _ args: [String]) async -> Result {
        await offPool { run(exe, args) }
    }

    static func sh(_ script: String) async -> Result {
        await offPool { sh(script) }
    }

    static func curl(socket: String, path: String, method: String = "GET", extra: [String] = []) async -> Result {
        await offPool { curl(socket: socket, path: path, method: method, extra: extra) }
    }
}
