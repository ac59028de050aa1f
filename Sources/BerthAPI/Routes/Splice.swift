import BerthEngine
import NIOCore

/// Joins a hijacked client connection to a shim stream (attach, exec): client bytes are the
/// process's stdin, shim bytes go back unchanged.
enum Splice {
    /// How the client's side ended the session early, if it did.
    enum Ending: Sendable { case processDone, detached, stdinEnded }

    /// Docker's rules (moby container/stream/attach.go): when the client's stdin ends, the
    /// process's stdin is closed if `closeStdinAtEOF` (StdinOnce without a tty, or an exec
    /// without one) and output goes on; otherwise the attach itself ends and the process runs
    /// on. Typing `detachKeys` ends the attach the same way.
    @discardableResult
    static func run(_ stream: inout ShimClient.Stream, inbound: HijackedInbound, outbound: RawWriter, forwardStdin: Bool,
                    closeStdinAtEOF: Bool = true, detachKeys: DetachKeys? = nil) async throws -> Ending {
        let stdin = stream.stdin
        let closeStdin = stream.stdinCloser
        let closeSession = stream.closer
        return try await withThrowingTaskGroup(of: Ending?.self) { group in
            group.addTask {
                guard forwardStdin else {
                    for try await _ in inbound {}
                    await closeStdin()
                    return nil
                }
                var scanner = detachKeys.map(DetachScanner.init)
                for try await chunk in inbound {
                    guard scanner != nil else {
                        try await stdin.write(chunk)
                        continue
                    }
                    let (forward, detach) = scanner!.scan(chunk.readableBytesView)
                    if !forward.isEmpty { try await stdin.write(ByteBuffer(bytes: forward)) }
                    if detach {
                        await closeSession()
                        return .detached
                    }
                }
                if closeStdinAtEOF {
                    await closeStdin()
                    return nil
                }
                await closeSession()
                return .stdinEnded
            }
            // A session closed from the stdin side ends this loop, with or without an error.
            while let chunk = try? await stream.next() { try await outbound.write(chunk) }
            try? await outbound.closeWrite()
            group.cancelAll()
            var ending = Ending.processDone
            while let result = try? await group.next() {
                if let e = result { ending = e }
            }
            return ending
        }
    }
}
