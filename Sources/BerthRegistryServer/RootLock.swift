import Foundation
import Glibc

/// An exclusive `flock` on `<root>/.lock`, held by a serving registry and by `registry gc`, so gc
/// never sweeps blobs an upload in flight is about to reference. The kernel drops it when the process dies.
final class RootLock {
    private let fd: Int32

    /// Takes the lock or fails at once, naming what holds it.
    init(root: String, purpose: String) throws {
        let path = "\(root)/.lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw RegistryServerError("cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw RegistryServerError("\(root) is in use by another berth registry process (serve or gc); stop it before \(purpose)")
        }
    }

    deinit { close(fd) }
}
