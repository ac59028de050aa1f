import BerthRuntime
import Foundation
import Glibc

/// How berthd starts berth-shim: from one sealed memfd copy of the binary, made once, that
/// every shim maps (so 50 shims share one copy of its pages rather than holding 50), with the
/// binary's directory on `LD_LIBRARY_PATH` for libraries it finds through `$ORIGIN`. A shim
/// started this way runs sealed from the first instruction and does not copy itself again.
final class ShimExecutable: @unchecked Sendable {
    /// The berth-shim file (argv[0], and what errors name).
    let path: String
    /// What `posix_spawn` executes: `/proc/self/fd/N` of the sealed copy, or `path`.
    let executable: String
    /// berthd's environment plus the library path, NULL-terminated, for `posix_spawn`.
    /// Immutable after init, which is what makes sharing it across threads safe.
    let environment: [UnsafeMutablePointer<CChar>?]
    private let memfd: Int32

    init(path: String) {
        self.path = path
        // Kept open for berthd's life; close-on-exec, yet `/proc/self/fd/N` is resolved by the
        // exec before the descriptor closes.
        var fd = (try? SealedExecutable.sealedCopy(of: path)) ?? -1
        // Above stdio: a shim's spawn replaces 0-2 before the exec that needs the copy.
        if fd >= 0 && fd < 3 {
            let moved = fcntl(fd, F_DUPFD_CLOEXEC, 3)
            close(fd)
            fd = moved
        }
        memfd = fd
        executable = memfd >= 0 ? "/proc/self/fd/\(memfd)" : path
        var env = ProcessInfo.processInfo.environment
        let dir = (path as NSString).deletingLastPathComponent
        env["LD_LIBRARY_PATH"] = [dir, env["LD_LIBRARY_PATH"]].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ":")
        environment = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
    }

    deinit {
        for p in environment { free(p) }
        if memfd >= 0 { close(memfd) }
    }
}
