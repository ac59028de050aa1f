import Glibc

/// Bytes of the files under a directory, as Docker reports a volume's size: regular files'
/// and symlinks' sizes, each hard-linked inode once, symlinks never followed.
enum DirectorySize {
    static func bytes(_ path: String) -> Int64 {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return 0 }
        var seen = Set<[UInt64]>()
        return walk(fd, seen: &seen)
    }

    /// Sums the entries of the directory `fd` and closes it.
    private static func walk(_ fd: Int32, seen: inout Set<[UInt64]>) -> Int64 {
        guard let dir = fdopendir(fd) else { close(fd); return 0 }
        defer { closedir(dir) }
        var total: Int64 = 0
        while let ent = readdir(dir) {
            let name = withUnsafePointer(to: ent.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            if name == "." || name == ".." { continue }
            var st = stat()
            guard fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                let child = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                if child >= 0 { total += walk(child, seen: &seen) }
            case S_IFREG, S_IFLNK:
                if st.st_nlink > 1, !seen.insert([UInt64(st.st_dev), UInt64(st.st_ino)]).inserted { continue }
                total += Int64(st.st_size)
            default:
                continue
            }
        }
        return total
    }
}
