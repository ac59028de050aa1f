import Foundation
import NIOCore
import Synchronization
import Testing

@testable import BerthAPI

/// Headers a Berth daemon would send; the tests check they reach every response.
let testDefaultHeaders = [
    ("Api-Version", "1.41"), ("Ostype", "linux"), ("Server", "Berth/test"), ("Docker-Experimental", "false"),
]

/// A short unique socket path (sun_path holds 108 bytes).
func temporarySocketPath() -> String {
    "/tmp/berth-test-\(UUID().uuidString.prefix(8)).sock"
}

/// Runs `body` against a live server on a fresh socket, then stops the server.
func withServer(
    socketMode: mode_t = 0o660,
    handler: @escaping HTTPHandler,
    _ body: @Sendable (String) async throws -> Void
) async throws {
    let path = temporarySocketPath()
    let (listening, signal) = AsyncStream<Void>.makeStream()
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            defer { signal.finish() }
            let server = HTTPServer(socketPath: path, socketMode: socketMode, defaultHeaders: testDefaultHeaders, handler: handler)
            try await server.run(onListening: { signal.yield() })
        }
        var events = listening.makeAsyncIterator()
        guard await events.next() != nil else {
            try await group.next()
            Issue.record("server stopped before listening")
            return
        }
        try await body(path)
        group.cancelAll()
        try await group.waitForAll()
    }
}

/// Runs blocking client code on its own thread, so it never starves the cooperative pool the
/// server's handlers run on.
func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

/// What a command printed and how it ended.
struct CommandResult: Sendable {
    var status: Int32
    var stdout: Data
    var stderr: String
    var text: String { String(decoding: stdout, as: UTF8.self) }
}

/// Runs a command (curl, sha256sum) off the cooperative pool.
func runCommand(_ executable: String, _ arguments: [String]) async throws -> CommandResult {
    try await offPool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(status: process.terminationStatus, stdout: stdout, stderr: String(decoding: stderr, as: UTF8.self))
    }
}

/// `curl --unix-socket path ...`
func curl(_ socketPath: String, _ arguments: String...) async throws -> CommandResult {
    try await runCommand("/usr/bin/curl", ["--silent", "--show-error", "--unix-socket", socketPath] + arguments)
}

/// The sha256 of a file, from coreutils.
func sha256(ofFile path: String) async throws -> String {
    let result = try await runCommand("/usr/bin/sha256sum", [path])
    return String(result.text.prefix(64))
}

/// A value shared between a handler and the test.
final class Shared<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    func get() -> Value { value.withLock { $0 } }
    func update(_ change: (inout Value) -> Void) { value.withLock { change(&$0) } }
}

/// A one-shot signal a handler can await and a (blocking or async) test can fire.
struct Gate: Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (stream, continuation) = AsyncStream<Void>.makeStream()
    }

    func open() {
        continuation.yield()
        continuation.finish()
    }

    func wait() async {
        for await _ in stream { return }
    }
}

/// An error with a Docker status, as route handlers will throw.
struct StatusError: HTTPErrorConvertible, CustomStringConvertible {
    var httpStatus: Int
    var httpMessage: String
    var description: String { httpMessage }
}

/// A failure with no HTTP mapping.
struct PlainError: Error, CustomStringConvertible {
    var description: String { "disk on fire" }
}

extension Data {
    var text: String { String(decoding: self, as: UTF8.self) }
}
