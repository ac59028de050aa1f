import CArchive
import CBerthSys
import Glibc

/// Applies tar entries under a root directory fd. Every lookup goes through openat2 with
/// RESOLVE_BENEATH; the last component is never followed. Directory times are set at the end,
/// since creating children changes them; the last entry for a directory decides them.
final class Applier {
    /// What the entries are and whose they become: a layer (overlay whiteouts, the archive's
    /// owners) or a copy into a directory (`docker cp`: `.wh.` names are plain files).
    struct Options {
        var whiteouts = true
        /// Refuse to replace a directory with a non-directory or the reverse (Docker's
        /// NoOverwriteDirNonDir); otherwise the new entry replaces the old one.
        var noOverwriteDirNonDir = false
        var owner: Ownership = .archive
        /// How errors name an entry ("layer entry", "archive entry").
        var noun = "layer entry"
        /// How errors name the root (a container path for `docker cp`).
        var rootName = "the layer"
        /// Names starting with `/` are relative to the root (`docker cp`); layers refuse them.
        var rootedNames = false
    }

    let rootFD: Int32
    let options: Options
    private var dirCache: [EntryPath: Int32] = [:]
    private var dirTimes: [EntryPath: (timespec, timespec)] = [:]
    private(set) var contentSize: Int64 = 0

    init(rootFD: Int32, options: Options = Options()) {
        self.rootFD = rootFD
        self.options = options
    }

    func closeAll() {
        for fd in dirCache.values { close(fd) }
        dirCache.removeAll()
    }

    func apply(entry: OpaquePointer, reader: OpaquePointer) throws(ArchiveError) {
        guard let cname = archive_entry_pathname(entry) else {
            throw ArchiveError(.malformed, "\(options.noun) without a name")
        }
        let raw = String(cString: cname)
        let path = try EntryPath(raw, noun: options.noun, rootedNames: options.rootedNames)
        if path.isRoot { return }
        let base = path.base
        if options.whiteouts && base.hasPrefix(LayerExtractor.whiteoutPrefix) {
            try applyWhiteout(path: path, raw: raw)
            return
        }
        let parentFD = try directory(path.parent, raw: raw, create: true)
        let type = archive_entry_filetype(entry)
        let mode = mode_t(archive_entry_perm(entry))
        let (uid, gid) = owner(entry)
        if options.noOverwriteDirNonDir { try refuseDirNonDirSwap(parentFD, base, isDirectory: type == S_IFDIR && archive_entry_hardlink(entry) == nil, path: path) }

        if let link = archive_entry_hardlink(entry) {
            let linkName = String(cString: link)
            let target: EntryPath
            do { target = try EntryPath(linkName, noun: options.noun, rootedNames: options.rootedNames) } catch {
                throw ArchiveError(error.code, "\(options.noun) \"\(raw)\" is a hard link to \"\(linkName)\", outside the archive's root; refusing it")
            }
            try removeExisting(parentFD, base, keepDirectory: false, path: path)
            let targetParent = try directory(target.parent, raw: raw, create: false)
            if linkat(targetParent, target.base, parentFD, base, 0) != 0 {
                throw ArchiveError(.io, "\(options.noun) \"\(raw)\": cannot hard-link to \"\(target.relative)\": \(errnoString())")
            }
            return
        }

        switch type {
        case S_IFDIR:
            var st = stat()
            let exists = fstatat(parentFD, base, &st, AT_SYMLINK_NOFOLLOW) == 0
            if exists && (st.st_mode & S_IFMT) != S_IFDIR {
                try removeExisting(parentFD, base, keepDirectory: false, path: path)
            }
            if !exists || (st.st_mode & S_IFMT) != S_IFDIR {
                if mkdirat(parentFD, base, 0o700) != 0 { throw io(raw, "mkdir") }
            }
            try setOwnerAndMode(parentFD, base, uid, gid, mode, raw: raw)
            try setXattrs(entry, parentFD, base, raw: raw)
            dirTimes[path] = (atime(entry), mtime(entry))
        case S_IFREG:
            try removeExisting(parentFD, base, keepDirectory: false, path: path)
            let fd = openat(parentFD, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw io(raw, "create") }
            defer { close(fd) }
            try writeData(reader, to: fd, raw: raw)
            let size = archive_entry_size(entry)
            if ftruncate(fd, off_t(size)) != 0 { throw io(raw, "truncate") }
            contentSize += size
            if let uid, let gid, fchown(fd, uid, gid) != 0 { throw io(raw, "chown") }
            if fchmod(fd, mode) != 0 { throw io(raw, "chmod") }
            try setXattrs(entry, parentFD, base, raw: raw)
            var times = [atime(entry), mtime(entry)]
            if futimens(fd, &times) != 0 { throw io(raw, "set times") }
            return
        case S_IFLNK:
            try removeExisting(parentFD, base, keepDirectory: false, path: path)
            let target = archive_entry_symlink(entry).map { String(cString: $0) } ?? ""
            if symlinkat(target, parentFD, base) != 0 { throw io(raw, "symlink") }
            if let uid, let gid, fchownat(parentFD, base, uid, gid, AT_SYMLINK_NOFOLLOW) != 0 { throw io(raw, "chown") }
            try setXattrs(entry, parentFD, base, raw: raw)
        case S_IFCHR, S_IFBLK, S_IFIFO:
            try removeExisting(parentFD, base, keepDirectory: false, path: path)
            let kind: mode_t = type == S_IFCHR ? S_IFCHR : type == S_IFBLK ? S_IFBLK : S_IFIFO
            // Base-256 tar fields can carry numbers wider than dev_t's halves; refuse rather than trap.
            let major = archive_entry_rdevmajor(entry), minor = archive_entry_rdevminor(entry)
            guard let maj = UInt32(exactly: major), let min = UInt32(exactly: minor) else {
                throw ArchiveError(.malformed, "\(options.noun) \"\(raw)\" has an impossible device number \(major),\(minor)")
            }
            if berth_mknodat(parentFD, base, kind | mode, maj, min) != 0 { throw io(raw, "mknod") }
            try setOwnerAndMode(parentFD, base, uid, gid, mode, raw: raw)
            try setXattrs(entry, parentFD, base, raw: raw)
        default:
            // Sockets and unknown types carry no content a container can use; Docker skips them too.
            return
        }
        if type != S_IFDIR {
            var times = [atime(entry), mtime(entry)]
            if utimensat(parentFD, base, &times, AT_SYMLINK_NOFOLLOW) != 0 { throw io(raw, "set times") }
        }
    }

    /// Sets directory times last.
    func finish() throws(ArchiveError) {
        for (path, (at, mt)) in dirTimes {
            // A later entry may have replaced the directory or a symlink on its path; then its
            // times no longer belong to anything.
            guard let parentFD = try? directory(path.parent, raw: path.relative, create: false) else { continue }
            var st = stat()
            guard fstatat(parentFD, path.base, &st, AT_SYMLINK_NOFOLLOW) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { continue }
            var times = [at, mt]
            if utimensat(parentFD, path.base, &times, AT_SYMLINK_NOFOLLOW) != 0 { throw io(path.relative, "set times") }
        }
    }

    private func applyWhiteout(path: EntryPath, raw: String) throws(ArchiveError) {
        let base = path.base
        let parentFD = try directory(path.parent, raw: raw, create: true)
        if base == LayerExtractor.opaqueMarker {
            let value: [UInt8] = [UInt8(ascii: "y")]
            if berth_lsetxattrat(parentFD, ".", LayerExtractor.opaqueXattr, value, 1) != 0 { throw io(raw, "mark opaque") }
            return
        }
        // Other `.wh..wh.` names are AUFS bookkeeping with no meaning in overlay.
        if base.hasPrefix(".wh..wh.") { return }
        let name = String(base.dropFirst(LayerExtractor.whiteoutPrefix.count))
        if name.isEmpty || name == "." || name == ".." || name.contains("/") {
            throw ArchiveError(.escape, "\(options.noun) \"\(raw)\" is a whiteout of \"\(name)\"; refusing it")
        }
        let target = EntryPath(components: path.parent.components + [name])
        try removeExisting(parentFD, name, keepDirectory: false, path: target)
        if berth_mknodat(parentFD, name, S_IFCHR | 0, 0, 0) != 0 { throw io(raw, "whiteout") }
    }

    /// An berth_O_PATH fd for a directory beneath the root, creating missing components when asked.
    private func directory(_ path: EntryPath, raw: String, create: Bool) throws(ArchiveError) -> Int32 {
        if path.isRoot { return rootFD }
        if let fd = dirCache[path] { return fd }
        var fd = berth_open_beneath(rootFD, path.relative, berth_O_PATH | O_DIRECTORY, 0, 0)
        if fd < 0 && errno == ENOENT && create {
            let parentFD = try directory(path.parent, raw: raw, create: true)
            if mkdirat(parentFD, path.base, 0o755) != 0 && errno != EEXIST { throw io(raw, "mkdir parent") }
            fd = berth_open_beneath(rootFD, path.relative, berth_O_PATH | O_DIRECTORY, 0, 0)
        }
        if fd < 0 {
            let e = errno
            if e == EXDEV || e == ELOOP {
                throw ArchiveError(.escape, "\(options.noun) \"\(raw)\" would be written outside \(options.rootName) through a symlink at \"\(path.relative)\"; refusing it")
            }
            if e == ENOTDIR {
                throw ArchiveError(.malformed, "\(options.noun) \"\(raw)\": \"\(path.relative)\" is not a directory")
            }
            throw ArchiveError(.io, "\(options.noun) \"\(raw)\": cannot open directory \"\(path.relative)\": \(errnoString(e))")
        }
        dirCache[path] = fd
        return fd
    }

    /// Removes whatever is at `name` so a new entry can take its place.
    private func removeExisting(_ parentFD: Int32, _ name: String, keepDirectory: Bool, path: EntryPath) throws(ArchiveError) {
        var st = stat()
        guard fstatat(parentFD, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { return }
        let kind = st.st_mode & S_IFMT
        let isDirectory = kind == S_IFDIR
        if isDirectory && keepDirectory { return }
        if isDirectory || kind == S_IFLNK { forgetDirectories(beyond: path) }
        if isDirectory {
            // Times noted for directories below are checked in finish(); this one's would land on
            // a directory later created here implicitly.
            dirTimes[path] = nil
            try removeTree(parentFD, name, raw: path.relative)
        } else if unlinkat(parentFD, name, 0) != 0 {
            throw io(path.relative, "replace")
        }
    }

    /// Drops the cached fds that replacing the directory or symlink at `path` makes stale: those
    /// under it, and any that reached the directory through a symlink elsewhere. Only the fds of
    /// `path`'s ancestors stay, which callers hold and which remain valid; clearing the rest keeps
    /// this linear over a layer, however many entries replace others.
    private func forgetDirectories(beyond path: EntryPath) {
        let ancestors = path.parent.components
        for (p, fd) in dirCache where !ancestors.starts(with: p.components) {
            close(fd)
            dirCache[p] = nil
        }
    }

    private func removeTree(_ parentFD: Int32, _ name: String, raw: String) throws(ArchiveError) {
        let fd = openat(parentFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw io(raw, "open for removal") }
        guard let dir = fdopendir(fd) else { close(fd); throw io(raw, "read directory") }
        var children: [(String, Bool)] = []
        while let ent = readdir(dir) {
            let child = withUnsafePointer(to: ent.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            if child == "." || child == ".." { continue }
            children.append((child, ent.pointee.d_type == UInt8(DT_DIR)))
        }
        defer { closedir(dir) }
        for (child, isDir) in children {
            if isDir { try removeTree(fd, child, raw: raw) } else if unlinkat(fd, child, 0) != 0 { throw io(raw, "remove") }
        }
        if unlinkat(parentFD, name, AT_REMOVEDIR) != 0 { throw io(raw, "remove directory") }
    }

    private func setOwnerAndMode(_ parentFD: Int32, _ name: String, _ uid: uid_t?, _ gid: gid_t?, _ mode: mode_t, raw: String) throws(ArchiveError) {
        if let uid, let gid, fchownat(parentFD, name, uid, gid, AT_SYMLINK_NOFOLLOW) != 0 { throw io(raw, "chown") }
        // After chown, which clears set-id bits. NOFOLLOW (glibc does it through an O_PATH fd) so
        // that a symlink swapped in since the entry was created fails instead of being followed.
        if fchmodat(parentFD, name, mode, AT_SYMLINK_NOFOLLOW) != 0 { throw io(raw, "chmod") }
    }

    private func setXattrs(_ entry: OpaquePointer, _ parentFD: Int32, _ name: String, raw: String) throws(ArchiveError) {
        guard archive_entry_xattr_reset(entry) > 0 else { return }
        var key: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        while archive_entry_xattr_next(entry, &key, &value, &size) == ARCHIVE_OK {
            guard let key else { continue }
            let k = String(cString: key)
            // Overlay's own attributes come only from whiteout markers, never from a layer's xattrs.
            if k.hasPrefix("trusted.overlay.") { continue }
            if berth_lsetxattrat(parentFD, name, key, value, size) != 0 && errno != ENOTSUP && errno != EPERM {
                throw io(raw, "set xattr \(k)")
            }
        }
    }

    private func writeData(_ reader: OpaquePointer, to fd: Int32, raw: String) throws(ArchiveError) {
        var buf: UnsafeRawPointer?
        var size = 0
        var offset: la_int64_t = 0
        while true {
            let rc = archive_read_data_block(reader, &buf, &size, &offset)
            if rc == ARCHIVE_EOF { return }
            if rc < ARCHIVE_WARN {
                throw ArchiveError(.malformed, "\(options.noun) \"\(raw)\": \(LibArchive.errorString(reader))")
            }
            var done = 0
            while done < size, let buf {
                let n = pwrite(fd, buf + done, size - done, off_t(offset) + off_t(done))
                if n < 0 { throw io(raw, "write") }
                done += n
            }
        }
    }

    private func atime(_ e: OpaquePointer) -> timespec {
        archive_entry_atime_is_set(e) != 0
            ? timespec(tv_sec: archive_entry_atime(e), tv_nsec: archive_entry_atime_nsec(e)) : mtime(e)
    }

    private func mtime(_ e: OpaquePointer) -> timespec {
        timespec(tv_sec: archive_entry_mtime(e), tv_nsec: archive_entry_mtime_nsec(e))
    }

    private func io(_ raw: String, _ what: String) -> ArchiveError {
        let full = errno == ENOSPC || errno == EDQUOT ? "; free space on the filesystem it unpacks to (remove images, containers or volumes) and try again" : ""
        return ArchiveError(.io, "\(options.noun) \"\(raw)\": \(what) failed: \(errnoString())\(full)")
    }

    /// The owner an entry gets; nil leaves it to whoever runs the extraction.
    private func owner(_ entry: OpaquePointer) -> (uid_t?, gid_t?) {
        switch options.owner {
        case .archive: return (uid_t(truncatingIfNeeded: archive_entry_uid(entry)), gid_t(truncatingIfNeeded: archive_entry_gid(entry)))
        case .fixed(let uid, let gid): return (uid, gid)
        case .caller: return (nil, nil)
        }
    }

    /// Docker's NoOverwriteDirNonDir: an existing directory stays a directory, a file a file.
    private func refuseDirNonDirSwap(_ parentFD: Int32, _ name: String, isDirectory: Bool, path: EntryPath) throws(ArchiveError) {
        var st = stat()
        guard fstatat(parentFD, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { return }
        let existingIsDirectory = st.st_mode & S_IFMT == S_IFDIR
        guard existingIsDirectory != isDirectory else { return }
        let shown = CopyPath.join(options.rootName, path.relative)
        if existingIsDirectory {
            throw ArchiveError(.conflict, "cannot overwrite directory \"\(shown)\" with non-directory \"\(options.rootName)\"")
        }
        throw ArchiveError(.conflict, "cannot overwrite non-directory \"\(shown)\" with directory \"\(options.rootName)\"")
    }
}
