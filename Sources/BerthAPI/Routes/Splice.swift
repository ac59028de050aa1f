import BerthEngine
import NIOCore

/// Joins a hijacked client connection to a shim stream (attach, exec): client bytes are the
/// process's stdin (a half-close is stdin EOF), shim bytes go back unchanged.
enum Splice {
    static func run(_ stream: inout ShimClient.Stream, inbound: HijackedInbound, outbound: RawWriter, forwardStdin: Bool) async throws {
        let stdin = stream.stdin
        let closeStdin = stream.stdinCloser
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                if forwardStdin {
                    for try await chunk in inbound { try await stdin.write(chunk) }
                } else {
                    for try await _ in inbound {}
                }
                await closeStdin()
            }
            while let chunk = try await stream.next() { try await outbound.write(chunk) }
            try? await outbound.closeWrite()
            group.cancelAll()
        }
    }
}
