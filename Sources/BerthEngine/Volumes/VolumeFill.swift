import CBerthSys
import Glibc

/// Docker's pre-fill of a volume: when a volume is empty and the image has a directory where it
/// is mounted, that directory's content is copied in before the first mount, with owners,
/// modes, times and xattrs; symlinks stay links (never followed), hard links stay links,
/// devices and fifos are recreated, sockets skipped. The volume's root takes the directory's
/// owner and mode, so a course image's `/home/jovyan/work` stays writable by its user.
///
/// Everything is created beneath the volume's directory fd with O_EXCL / O_NOFOLLOW, so a
/// container writing to the same volume meanwhile cannot redirect a write outside it.
struct VolumeFill {
    let view: LayerView
    /// The volume's `_data`.
    let volumeFD: Int32
    /// Hard-linked inodes already copied: (device, inode) → path under the volume.
    private var copied: [[UInt64]: String] = [:]

    /// Copies `path` of the merged `layers` (top-most first) into `volume` when the volume is
    /// empty and the image has a directory there. Returns whether it copied.
    static func fill(volume: String, from layers: [String], path: String) throws(EngineError) -> Bool {
        let dst = open(volume, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard dst >= 0 else { throw error("open volume \(volume)") }
        defer { close(dst) }
        guard try isEmpty(dst) else { return false }
        let view = try LayerView(layers: layers)
        guard let source = try view.directory(at: path) else { return false }
        defer { source.close() }
        guard let top = source.fds.first else { return false }
        var fill = VolumeFill(view: view, volumeFD: dst)
        try fill.copyChildren(of: source, into: dst, relative: "")
        try fill.finishDirectory(from: top, to: dst, path: path)
        return true
    }

    private mutating func copyChildren(of dir: LayerView.Directory, into dstFD: Int32, relative: String) throws(EngineError) {
        for name in try view.names(in: dir) {
            guard let entry = try view.lookup(name, in: dir) else { continue }
            let rel = relative.isEmpty ? name : "\(relative)/\(name)"
            switch entry {
            case .directory(let child):
                defer { child.close() }
                guard let top = child.fds.first else { continue }
                guard mkdirat(dstFD, name, 0o700) == 0 else { throw Self.error("mkdir \(rel)") }
                let sub = openat(dstFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard sub >= 0 else { throw Self.error("open \(rel)") }
                defer { close(sub) }
                try copyChildren(of: child, into: sub, relative: rel)
                try finishDirectory(from: top, to: sub, path: rel)
            case .other(let parentFD, let n, let st):
                try copy(parentFD, n, st, into: dstFD, relative: rel)
            }
        }
    }

    /// Owner, mode, xattrs and times of a directory, after its children (which change its times).
    private func finishDirectory(from srcFD: Int32, to dstFD: Int32, path: String) throws(EngineError) {
        var st = stat()
        guard fstat(srcFD, &st) == 0 else { throw Self.error("stat \(path)") }
        guard fchown(dstFD, st.st_uid, st.st_gid) == 0 else { throw Self.error("chown \(path)") }
        guard fchmod(dstFD, st.st_mode & 0o7777) == 0 else { throw Self.error("chmod \(path)") }
        try Self.copyXattrs(srcFD, ".", to: dstFD, ".", path: path)
        var times = [st.st_atim, st.st_mtim]
        guard futimens(dstFD, &times) == 0 else { throw Self.error("set times of \(path)") }
    }

    private mutating func copy(_ parentFD: Int32, _ name: String, _ st: stat, into dstFD: Int32, relative rel: String) throws(EngineError) {
        let kind = st.st_mode & S_IFMT
        if kind == S_IFSOCK { return }
        if st.st_nlink > 1 {
            let key = [UInt64(st.st_dev), UInt64(st.st_ino)]
            if let first = copied[key] {
                try link(first, as: name, in: dstFD, relative: rel)
                return
            }
            copied[key] = rel
        }
        switch kind {
        case S_IFREG:
            try Self.copyFile(parentFD, name, st, into: dstFD, relative: rel)
        case S_IFLNK:
            let target = try LayerView.readLink(parentFD, name)
            guard symlinkat(target, dstFD, name) == 0 else { throw Self.error("symlink \(rel)") }
            guard fchownat(dstFD, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) == 0 else { throw Self.error("chown \(rel)") }
        case S_IFCHR, S_IFBLK, S_IFIFO:
            guard berth_mknodat(dstFD, name, kind | (st.st_mode & 0o7777), berth_major(st.st_rdev), berth_minor(st.st_rdev)) == 0 else {
                throw Self.error("mknod \(rel)")
            }
            guard fchownat(dstFD, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) == 0 else { throw Self.error("chown \(rel)") }
            // After chown, which clears set-id bits.
            guard fchmodat(dstFD, name, st.st_mode & 0o7777, AT_SYMLINK_NOFOLLOW) == 0 else { throw Self.error("chmod \(rel)") }
        default:
            return
        }
        if kind != S_IFREG {
            try Self.copyXattrs(parentFD, name, to: dstFD, name, path: rel)
            var times = [st.st_atim, st.st_mtim]
            guard utimensat(dstFD, name, &times, AT_SYMLINK_NOFOLLOW) == 0 else { throw Self.error("set times of \(rel)") }
        }
    }

    private static func copyFile(_ parentFD: Int32, _ name: String, _ st: stat, into dstFD: Int32, relative rel: String) throws(EngineError) {
        let src = openat(parentFD, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard src >= 0 else { throw error("open \(rel) in the image") }
        defer { close(src) }
        let dst = openat(dstFD, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard dst >= 0 else { throw error("create \(rel)") }
        defer { close(dst) }
        let size = 1 << 17
        let buf = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { buf.deallocate() }
        while true {
            let n = read(src, buf, size)
            if n < 0 { if errno == EINTR { continue }; throw error("read \(rel)") }
            if n == 0 { break }
            var done = 0
            while done < n {
                let w = write(dst, buf + done, n - done)
                if w < 0 { if errno == EINTR { continue }; throw error("write \(rel)") }
                done += w
            }
        }
        guard fchown(dst, st.st_uid, st.st_gid) == 0 else { throw error("chown \(rel)") }
        // After chown, which clears set-id bits.
        guard fchmod(dst, st.st_mode & 0o7777) == 0 else { throw error("chmod \(rel)") }
        try copyXattrs(parentFD, name, to: dstFD, name, path: rel)
        var times = [st.st_atim, st.st_mtim]
        guard futimens(dst, &times) == 0 else { throw error("set times of \(rel)") }
    }

    /// A hard link to the copy made at `first` (its parent opened beneath the volume, no symlinks).
    private func link(_ first: String, as name: String, in dstFD: Int32, relative rel: String) throws(EngineError) {
        let parent = first.split(separator: "/").dropLast().joined(separator: "/")
        let base = first.split(separator: "/").last.map(String.init) ?? first
        let parentFD = berth_open_beneath(volumeFD, parent.isEmpty ? "." : parent, berth_O_PATH | O_DIRECTORY, 0, 1)
        guard parentFD >= 0 else { throw Self.error("open \(parent) for a hard link") }
        defer { close(parentFD) }
        guard linkat(parentFD, base, dstFD, name, 0) == 0 else { throw Self.error("hard-link \(rel) to \(first)") }
    }

    /// Extended attributes but overlay's own; where the volume's filesystem takes none, none.
    private static func copyXattrs(_ srcFD: Int32, _ srcName: String, to dstFD: Int32, _ dstName: String, path: String) throws(EngineError) {
        let n = berth_llistxattrat(srcFD, srcName, nil, 0)
        guard n > 0 else { return }
        var list = [CChar](repeating: 0, count: n)
        let got = berth_llistxattrat(srcFD, srcName, &list, n)
        guard got > 0 else { return }
        for key in list[0..<got].split(separator: 0).map({ String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self) }) {
            if key.hasPrefix("trusted.overlay.") { continue }
            let size = berth_lgetxattrat(srcFD, srcName, key, nil, 0)
            guard size >= 0 else { continue }
            var value = [UInt8](repeating: 0, count: max(size, 1))
            let vs = berth_lgetxattrat(srcFD, srcName, key, &value, size)
            guard vs >= 0 else { continue }
            if berth_lsetxattrat(dstFD, dstName, key, value, vs) != 0 && errno != ENOTSUP && errno != EPERM {
                throw error("set xattr \(key) on \(path)")
            }
        }
    }

    static func isEmpty(_ fd: Int32) throws(EngineError) -> Bool {
        let own = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard own >= 0, let stream = fdopendir(own) else {
            if own >= 0 { close(own) }
            throw error("read the volume")
        }
        defer { closedir(stream) }
        while let ent = readdir(stream) {
            let name = withUnsafePointer(to: ent.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            if name != "." && name != ".." { return false }
        }
        return true
    }

    static func error(_ what: String) -> EngineError {
        EngineError(.internalError, "filling the volume from the image: \(what): \(String(cString: strerror(errno)))")
    }
}
