import Foundation
import Glibc
import Synchronization

/// Space held back on the data root's filesystem for berthd's and the shims' own records.
///
/// Containers' writable layers, logs and volumes share the filesystem with the records
/// (`config.json`, `state.json`, `images.json`, …). A container that fills the disk would
/// otherwise leave berthd unable to record a stop, a rename or an exit. `<data root>/reserve`
/// is a preallocated file: a record write that fails with ENOSPC or EDQUOT deletes it and
/// tries again (`FileSystem.writeAtomically`; the shim does the same for `state.json` through
/// the path in its spec). The reserve is made again as soon as the filesystem has room for it
/// twice over: at berthd's start, after a container is removed, after any record write.
public enum DiskReserve {
    /// The file's name under the data root.
    public static let fileName = "reserve"
    /// The most it holds: enough for thousands of record writes.
    public static let maximumSize = 16 << 20

    private struct Reserve {
        var path: String
        var size: Int
    }

    private static let current = Mutex<Reserve?>(nil)

    /// Makes (or keeps) the reserve of the data root at `dataRoot`: 1/32 of the filesystem,
    /// at most `maximumSize`. Returns its path.
    @discardableResult
    public static func install(dataRoot: String) -> String {
        let path = "\(dataRoot)/\(fileName)"
        var fs = statvfs()
        let total = statvfs(dataRoot, &fs) == 0 ? Int(fs.f_blocks) * Int(fs.f_frsize) : maximumSize * 32
        let size = max(min(maximumSize, total / 32) & ~4095, 4096)
        current.withLock { $0 = Reserve(path: path, size: size) }
        refill()
        return path
    }

    /// Deletes the reserve, so a record write that failed for lack of space can be tried again.
    /// Returns false when there was none to give.
    public static func release() -> Bool {
        current.withLock { r in
            guard let path = r?.path else { return false }
            return unlink(path) == 0
        }
    }

    /// Makes the reserve again when it is missing (berthd or a shim gave it up) and the
    /// filesystem has room for it twice over.
    public static func refill() {
        current.withLock { r in
            guard let reserve = r else { return }
            var st = stat()
            if stat(reserve.path, &st) == 0 && Int(st.st_size) >= reserve.size { return }
            let dir = (reserve.path as NSString).deletingLastPathComponent
            var fs = statvfs()
            guard statvfs(dir, &fs) == 0, Int(fs.f_bavail) * Int(fs.f_frsize) >= 2 * reserve.size else { return }
            let temp = "\(reserve.path).tmp"
            let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard fd >= 0 else { return }
            let filled = posix_fallocate(fd, 0, off_t(reserve.size)) == 0 && fsync(fd) == 0
            close(fd)
            if !filled || rename(temp, reserve.path) != 0 { unlink(temp) }
        }
    }

    /// Whether `error` (an errno) means the filesystem is out of space.
    public static func isOutOfSpace(_ error: Int32) -> Bool { error == ENOSPC || error == EDQUOT }
}
