import CBerthSys
import Glibc

/// A directory treated as `/` for every path inside it: resolution goes through
/// openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), so an image's symlinks and `..` land inside
/// it, never on the host. Mounts then target the resolved fd through `/proc/self/fd/N`, as runc
/// does, so nothing can swap the path between the check and the mount.
struct RootDirectory {
    /// An O_PATH directory fd.
    let fd: Int32

    /// Opens a host directory (trusted path) as a root.
    static func open(host path: String) throws(RuntimeError) -> RootDirectory {
        let fd = Glibc.open(path, berth_O_PATH | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .sys("open \(path)") }
        return RootDirectory(fd: fd)
    }

    func close() { Descriptor.close(fd) }

    /// `/proc/self/fd/N`: the path the kernel resolves to exactly what fd `N` is.
    static func procPath(_ fd: Int32) -> String { "/proc/self/fd/\(fd)" }

    /// The components of `path` after dropping `.`, empty parts and `..` above the root.
    static func components(_ path: String) -> [String] {
        var out: [String] = []
        for part in path.split(separator: "/") {
            switch part {
            case ".": continue
            case "..": if !out.isEmpty { out.removeLast() }
            default: out.append(String(part))
            }
        }
        return out
    }

    /// Opens `path` inside the root (O_PATH unless `flags` say otherwise).
    func open(_ path: String, flags: Int32 = berth_O_PATH, mode: mode_t = 0,
              noSymlinks: Bool = false) throws(RuntimeError) -> Int32 {
        let clean = "/" + Self.components(path).joined(separator: "/")
        let fd = berth_open_in_root(self.fd, clean, flags, mode, noSymlinks ? 1 : 0)
        guard fd >= 0 else { throw Self.resolveError(clean, noSymlinks: noSymlinks) }
        return fd
    }

    private static func resolveError(_ path: String, noSymlinks: Bool) -> RuntimeError {
        if errno == ELOOP && noSymlinks { return RuntimeError(.invalidArgument, "\(path) must not be a symlink") }
        return .sys("open \(path) in the container root")
    }

    /// Opens the directory at `path`, creating missing components (mode 0755, owned by
    /// `owner` when given); returns an O_PATH fd.
    func makeDirectory(_ path: String, owner: (uid: UInt32, gid: UInt32)? = nil,
                       noSymlinks: Bool = false) throws(RuntimeError) -> Int32 {
        let parts = Self.components(path)
        var current = try open("/", flags: berth_O_PATH | O_DIRECTORY)
        for index in parts.indices {
            let prefix = "/" + parts[...index].joined(separator: "/")
            let next = berth_open_in_root(fd, prefix, berth_O_PATH | O_DIRECTORY, 0, noSymlinks ? 1 : 0)
            if next >= 0 {
                Descriptor.close(current)
                current = next
                continue
            }
            guard errno == ENOENT else {
                let err = Self.resolveError(prefix, noSymlinks: noSymlinks)
                Descriptor.close(current)
                throw err
            }
            if mkdirat(current, parts[index], 0o755) != 0 && errno != EEXIST {
                let err = RuntimeError.sys("mkdir \(prefix) in the container root")
                Descriptor.close(current)
                throw err
            }
            if let owner {
                fchownat(current, parts[index], owner.uid, owner.gid, AT_SYMLINK_NOFOLLOW)
            }
            Descriptor.close(current)
            // Re-resolve: a dangling symlink in the way makes this fail rather than follow it out.
            current = try open(prefix, flags: berth_O_PATH | O_DIRECTORY, noSymlinks: noSymlinks)
        }
        return current
    }

    /// Opens the file at `path`, creating it (and its parents) when missing; returns an O_PATH fd.
    func makeFile(_ path: String, noSymlinks: Bool = false) throws(RuntimeError) -> Int32 {
        let parts = Self.components(path)
        guard !parts.isEmpty else { throw RuntimeError(.invalidArgument, "\(path) is the root directory") }
        let parent = try makeDirectory("/" + parts.dropLast().joined(separator: "/"), noSymlinks: noSymlinks)
        Descriptor.close(parent)
        let clean = "/" + parts.joined(separator: "/")
        let existing = berth_open_in_root(fd, clean, berth_O_PATH, 0, noSymlinks ? 1 : 0)
        if existing >= 0 { return existing }
        guard errno == ENOENT else { throw Self.resolveError(clean, noSymlinks: noSymlinks) }
        // O_CREAT through RESOLVE_IN_ROOT: a dangling symlink is followed, but only inside the root.
        let created = try open(clean, flags: O_CREAT | O_WRONLY | O_NONBLOCK, mode: 0o644, noSymlinks: noSymlinks)
        Descriptor.close(created)
        return try open(clean, noSymlinks: noSymlinks)
    }

    /// Whether `path` exists inside the root (without creating anything).
    func exists(_ path: String) -> Bool {
        guard let fd = try? open(path) else { return false }
        Descriptor.close(fd)
        return true
    }

    /// Whether the fd refers to a directory.
    static func isDirectory(_ fd: Int32) -> Bool {
        var st = stat()
        return fstat(fd, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR
    }
}
