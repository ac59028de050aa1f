import BerthArchive
import CBerthSys
import Glibc

/// Paths inside a container's filesystem, opened from an fd of its `/` with
/// openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): symlinks and `..` are resolved as the
/// container would resolve them, so whatever the container's links say, nothing outside its
/// filesystem is ever reached.
enum ContainerPath {
    /// Opens `path` (absolute in the container) as O_PATH; the last element is followed only
    /// when `follow` (or when the path ends in `/`, as the kernel does).
    static func open(_ root: Int32, _ path: String, follow: Bool) -> Int32 {
        berth_open_in_root(root, path, berth_O_PATH | (follow ? 0 : O_NOFOLLOW), 0, 0)
    }

    /// Docker's stat of a container path: lstat semantics (a trailing `/` follows), the name
    /// of the last element, and for a symlink its target fully resolved in the container.
    static func stat(_ root: Int32, _ absPath: String) throws(EngineError) -> (PathStat, fd: Int32) {
        let fd = open(root, absPath, follow: false)
        guard fd >= 0 else { throw error(errno, absPath) }
        var st = Glibc.stat()
        guard fstat(fd, &st) == 0 else {
            let e = error(errno, absPath)
            close(fd)
            throw e
        }
        let isLink = st.st_mode & S_IFMT == S_IFLNK
        let stat = PathStat(name: CopyPath.base(absPath), size: Int64(st.st_size), mode: PathStat.goMode(st.st_mode),
                            mtime: st.st_mtim, linkTarget: isLink ? resolve(root, absPath) : "")
        return (stat, fd)
    }

    /// moby's FollowSymlinkInScope: `path` with every symlink on it resolved inside the
    /// container, as far as it exists (a dangling link's target is kept as written).
    static func resolve(_ root: Int32, _ path: String) -> String {
        var resolved: [String] = []
        var pending = Array(path.split(separator: "/").map(String.init).reversed())
        var links = 0
        while let part = pending.popLast() {
            if part == "." { continue }
            if part == ".." {
                _ = resolved.popLast()
                continue
            }
            let candidate = "/" + (resolved + [part]).joined(separator: "/")
            let fd = open(root, candidate, follow: false)
            guard fd >= 0 else {
                resolved.append(part)
                continue
            }
            defer { close(fd) }
            var st = Glibc.stat()
            guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFLNK, links < 255,
                  let target = readLink(fd) else {
                resolved.append(part)
                continue
            }
            links += 1
            if target.hasPrefix("/") { resolved.removeAll() }
            pending.append(contentsOf: target.split(separator: "/").map(String.init).reversed())
        }
        return "/" + resolved.joined(separator: "/")
    }

    /// The target of the symlink open as `fd` (O_PATH | O_NOFOLLOW).
    static func readLink(_ fd: Int32) -> String? {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlinkat(fd, "", &buf, Int(PATH_MAX))
        guard n >= 0 else { return nil }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Reads a small regular file of the container (at most `limit` bytes); nil when it is
    /// missing or anything else (a device is never opened).
    static func readFile(_ root: Int32, _ path: String, limit: Int = 1 << 20) -> String? {
        let handle = berth_open_in_root(root, path, berth_O_PATH, 0, 0)
        guard handle >= 0 else { return nil }
        let fd = RegularFile.reopen(handle)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while out.count < limit {
            let n = read(fd, &buf, min(buf.count, limit - out.count))
            if n < 0 { if errno == EINTR { continue }; return nil }
            if n == 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func error(_ e: Int32, _ path: String) -> EngineError {
        if e == ENOENT || e == ENOTDIR { return EngineError(.notFound, "no such file: \(path)") }
        if e == ELOOP { return EngineError(.invalid, "too many levels of symbolic links resolving \(path)") }
        return EngineError(.internalError, "\(path): \(String(cString: strerror(e)))")
    }
}
