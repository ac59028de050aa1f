import CBerthSys
import Glibc

/// Moves a forked child's fds into a fixed layout — slot `i` gets `fds[i]` — and closes every
/// other fd it inherited (the shim's sockets, logs and other containers' pipes), so nothing of
/// the host leaks into the container (CVE-2024-21626). Slots given -1 end up closed.
enum ChildDescriptors {
    static func arrange(_ fds: [Int32]) -> [Int32] {
        let count = Int32(fds.count)
        // First copy everything above the layout so no dup2 clobbers a source still needed.
        let copies = fds.map { $0 >= 0 ? berth_dupfd($0, count) : -1 }
        for (slot, copy) in copies.enumerated() {
            if copy >= 0 { dup2(copy, Int32(slot)) } else { Glibc.close(Int32(slot)) }
        }
        _ = berth_close_range(UInt32(count), UInt32.max, 0)
        return fds.indices.map { fds[$0] >= 0 && copies[$0] >= 0 ? Int32($0) : -1 }
    }

    /// Reports a failure on the error pipe and exits with its code.
    static func fail(_ failure: StartFailure, errorPipe: Int32) -> Never {
        try? Descriptor.writeAll(errorPipe, failure.wireFormat)
        _exit(failure.exitCode)
    }

    /// Blocks until the parent writes its go-ahead byte; exits when the parent is gone.
    static func awaitGoAhead(_ fd: Int32) {
        var byte: UInt8 = 0
        while true {
            let n = Glibc.read(fd, &byte, 1)
            if n == 1 { break }
            if n < 0 && errno == EINTR { continue }
            _exit(125)
        }
        Descriptor.close(fd)
    }

    /// Makes the pty slave the controlling terminal and stdio of this (session-leading) process.
    static func adoptTerminal(_ slave: Int32) throws(RuntimeError) {
        guard berth_set_controlling_tty(slave) == 0 else { throw .sys("set the controlling terminal") }
        for target: Int32 in 0...2 {
            guard dup2(slave, target) == target else { throw .sys("dup2 the terminal") }
        }
        if slave > 2 { Descriptor.close(slave) }
    }
}
