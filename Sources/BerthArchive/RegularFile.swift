import CBerthSys
import Glibc

/// Opening a file to read it only if it is a regular file. A running container can swap a
/// file it owns for a device node between a stat and an open (it may mknod); opening some
/// devices has effects (a watchdog starts counting), so nothing is opened for reading until
/// an O_PATH handle, which opens nothing, shows a regular file.
public enum RegularFile {
    /// A read-only fd for the regular file `name` in `dirFD` (never following a symlink), or -1
    /// with errno set (EINVAL when it is not a regular file).
    public static func open(_ dirFD: Int32, _ name: String) -> Int32 {
        let handle = openat(dirFD, name, berth_O_PATH | O_NOFOLLOW | O_CLOEXEC)
        guard handle >= 0 else { return -1 }
        return reopen(handle)
    }

    /// Reads the regular file behind the O_PATH `handle` (which it closes), or -1 (EINVAL when
    /// it is not a regular file).
    public static func reopen(_ handle: Int32) -> Int32 {
        defer { close(handle) }
        var st = stat()
        guard fstat(handle, &st) == 0 else { return -1 }
        guard st.st_mode & S_IFMT == S_IFREG else {
            errno = EINVAL
            return -1
        }
        return Glibc.open("/proc/self/fd/\(handle)", O_RDONLY | O_CLOEXEC)
    }
}
