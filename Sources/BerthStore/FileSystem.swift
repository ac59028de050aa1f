import CBerthSys
import Foundation
import Glibc

/// Durable file operations: write-then-rename with fsync of the file and its directory.
public enum FileSystem {
    /// Replaces `path` with `data` atomically: readers see the old or the new bytes, never a mix,
    /// and after return the new bytes survive a power loss.
    /// When the filesystem is full, the `DiskReserve` is given up and the write tried again.
    /// `mode` 0600 for records that may hold secrets (a container's environment).
    public static func writeAtomically(_ data: Data, to path: String, mode: mode_t = 0o644) throws(StoreError) {
        do {
            do {
                try writeOnce(data, to: path, mode: mode)
            } catch let error where error.outOfSpace && DiskReserve.release() {
                try writeOnce(data, to: path, mode: mode)
            }
        } catch let error where error.outOfSpace {
            var full = StoreError(.io, "cannot write \(path): no space left on device; free space on that filesystem "
                                  + "(remove containers, images or volumes, or what else fills it) and try again")
            full.outOfSpace = true
            throw full
        }
        DiskReserve.refill()
    }

    private static func writeOnce(_ data: Data, to path: String, mode: mode_t) throws(StoreError) {
        let dir = (path as NSString).deletingLastPathComponent
        let tmp = "\(dir)/.tmp-\(UUID().uuidString)"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw ioError("create \(tmp)") }
        var ok = false
        defer {
            if !ok { unlink(tmp) }
        }
        let written = data.withUnsafeBytes { buf -> Bool in
            guard let base = buf.baseAddress else { return true }
            var done = 0
            while done < buf.count {
                let n = write(fd, base + done, buf.count - done)
                if n < 0 { if errno == EINTR { continue }; return false }
                done += n
            }
            return true
        }
        guard written, fsync(fd) == 0 else { close(fd); throw ioError("write \(tmp)") }
        close(fd)
        guard rename(tmp, path) == 0 else { throw ioError("rename to \(path)") }
        ok = true
        try syncDirectory(dir)
    }

    /// fsync a directory so a rename or create inside it is durable.
    public static func syncDirectory(_ dir: String) throws(StoreError) {
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw ioError("open \(dir)") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw ioError("fsync \(dir)") }
    }

    /// mkdir -p with mode 0700 for new directories.
    public static func makeDirectory(_ path: String, mode: Int = 0o700) throws(StoreError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: mode])
        } catch {
            throw StoreError(.io, "cannot create directory \(path): \(error.localizedDescription)")
        }
    }

    /// Marks `dir` as the top of directory hierarchies (chattr +T), so ext4 places each
    /// directory made inside it in a block group of its own choosing instead of the parent's.
    /// Without it, a layer unpacked right after another was deleted allocates its inodes in
    /// the group full of just-freed ones, which ext4 skips one by one for a minute or more:
    /// pulling a 10k-file layer after `rmi` took 4x as long. Filesystems without the flag
    /// are left alone.
    public static func spreadSubdirectories(_ dir: String) {
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = berth_set_topdir(fd)
        close(fd)
    }

    /// rm -rf that does not follow symlinks.
    public static func removeTree(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    static func ioError(_ what: String) -> StoreError {
        var error = StoreError(.io, "\(what): \(String(cString: strerror(errno)))")
        error.outOfSpace = DiskReserve.isOutOfSpace(errno)
        return error
    }
}
