import BerthOCI
import CArchive
import CBerthSys
import Glibc

/// What writing a layer produced.
public struct WriteResult: Sendable {
    /// Digest of the bytes written (compressed if a compression was chosen).
    public let digest: Digest
    public let size: Int64
}

/// Writes a directory in overlay form (an upper dir or a snapshot) as a layer tar:
/// 0/0 character devices become `.wh.NAME`, opaque directories get `.wh..wh..opq`.
/// Entries are sorted so equal trees give equal bytes.
public enum LayerWriter {
    public enum Compression: Sendable { case none, gzip, zstd }

    /// Writes `root` as a tar to `fd`, returning the digest and size of what was written.
    public static func write(directory root: String, to fd: Int32, compression: Compression = .none) throws(ArchiveError) -> WriteResult {
        let rootFD = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard rootFD >= 0 else { throw ArchiveError(.io, "cannot open \(root): \(errnoString())") }
        defer { close(rootFD) }
        let sink: Sink
        do {
            sink = try TarTreeWriter.write(to: fd, overlay: true, compression: compression, hashing: true) { tar in
                try tar.walker.walk(dirFD: rootFD, prefix: "")
            }
        } catch let e as ArchiveError {
            throw e
        } catch {
            throw ArchiveError(.io, "\(error)")
        }
        return WriteResult(digest: sink.hasher.finalize(), size: sink.written)
    }

    final class Sink {
        let fd: Int32
        let hashing: Bool
        var hasher = DigestHasherBox()
        var written: Int64 = 0
        var error: Int32?
        init(fd: Int32, hashing: Bool = true) {
            self.fd = fd
            self.hashing = hashing
        }
        func write(_ buffer: UnsafeRawPointer, _ length: Int) -> Int {
            var done = 0
            while done < length {
                let n = Glibc.write(fd, buffer + done, length - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    error = errno
                    return -1
                }
                done += n
            }
            written += Int64(length)
            if hashing { hasher.update(UnsafeRawBufferPointer(start: buffer, count: length)) }
            return length
        }
    }
}

/// Depth-first, name-sorted walk emitting tar entries. In overlay form (layers) 0/0 character
/// devices become `.wh.` markers and opaque directories get `.wh..wh..opq`; in plain form
/// (`docker cp`, export) every entry is what it is, entries that vanish mid-walk are skipped,
/// and the content of kernel filesystems (/proc, /sys, cgroups, devpts, mqueue) is left out.
struct Walker {
    let archive: OpaquePointer
    let resolver: OpaquePointer
    var overlay = true

    init(archive: OpaquePointer, resolver: OpaquePointer, overlay: Bool = true) {
        self.archive = archive
        self.resolver = resolver
        self.overlay = overlay
    }

    mutating func walk(dirFD: Int32, prefix: String) throws(ArchiveError) {
        for name in try Self.sortedNames(dirFD) {
            try emit(dirFD: dirFD, name: name, path: prefix + name, recurse: true)
        }
    }

    /// Writes the entry `name` of `dirFD` as `path`, and with `recurse` everything under it when
    /// it is a directory. `name` may be "." for the directory `dirFD` itself. False when the
    /// entry vanished (plain form) or is not stored (a socket).
    @discardableResult
    mutating func emit(dirFD: Int32, name: String, path: String, recurse: Bool) throws(ArchiveError) -> Bool {
        var st = stat()
        guard fstatat(dirFD, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else {
            if !overlay && errno == ENOENT { return false }
            throw ArchiveError(.io, "stat \(path): \(errnoString())")
        }
        let kind = st.st_mode & S_IFMT
        if overlay && kind == S_IFCHR && st.st_rdev == 0 {
            try writeMarker(path: String(path.dropLast(name.count)) + LayerExtractor.whiteoutPrefix + name, like: st)
            return true
        }
        if kind == S_IFSOCK { return false }
        guard let entry = archive_entry_new() else { throw ArchiveError(.io, "libarchive: out of memory") }
        archive_entry_copy_stat(entry, &st)
        archive_entry_set_pathname(entry, kind == S_IFDIR && !path.hasSuffix("/") ? path + "/" : path)
        if kind == S_IFLNK {
            var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlinkat(dirFD, name, &buf, Int(PATH_MAX))
            guard n >= 0 else { archive_entry_free(entry); throw ArchiveError(.io, "readlink \(path): \(errnoString())") }
            buf[n] = 0
            archive_entry_set_symlink(entry, buf)
        }
        try copyXattrs(dirFD, name, entry, path: path)
        var opaque = false
        if overlay && kind == S_IFDIR {
            var v: [UInt8] = [0, 0]
            opaque = berth_lgetxattrat(dirFD, name, LayerExtractor.opaqueXattr, &v, 2) == 1 && v[0] == UInt8(ascii: "y")
        }
        var e: OpaquePointer? = entry
        var spare: OpaquePointer?
        archive_entry_linkify(resolver, &e, &spare)
        if let e { try writeEntry(e, dirFD: dirFD, name: name, path: path) }
        if let spare { try writeEntry(spare, dirFD: dirFD, name: name, path: path) }
        guard kind == S_IFDIR, recurse else { return true }
        let childPrefix = path.hasSuffix("/") ? path : path + "/"
        if opaque { try writeMarker(path: childPrefix + LayerExtractor.opaqueMarker, like: st) }
        let child = openat(dirFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard child >= 0 else {
            if !overlay && errno == ENOENT { return true }
            throw ArchiveError(.io, "open \(path): \(errnoString())")
        }
        defer { close(child) }
        if !overlay && KernelFilesystem.holds(child) { return true }
        try walk(dirFD: child, prefix: childPrefix)
        return true
    }

    private func writeEntry(_ entry: OpaquePointer, dirFD: Int32, name: String, path: String) throws(ArchiveError) {
        defer { archive_entry_free(entry) }
        try LibArchive.check(archive_write_header(archive, entry), archive, "cannot write \(path)")
        guard archive_entry_filetype(entry) == S_IFREG, archive_entry_size(entry) > 0 else { return }
        let fd = RegularFile.open(dirFD, name)
        guard fd >= 0 else {
            // Gone or replaced since its header was written (a running container): libarchive
            // pads the entry.
            if !overlay && (errno == ENOENT || errno == EINVAL) { return }
            throw ArchiveError(.io, "open \(path): \(errnoString())")
        }
        defer { close(fd) }
        let size = 1 << 16
        let buf = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { buf.deallocate() }
        while true {
            let n = read(fd, buf, size)
            if n < 0 { if errno == EINTR { continue }; throw ArchiveError(.io, "read \(path): \(errnoString())") }
            if n == 0 { break }
            if archive_write_data(archive, buf, n) < 0 {
                throw ArchiveError(.io, "cannot write \(path): \(LibArchive.errorString(archive))")
            }
        }
    }

    /// An empty regular file entry (a whiteout or opaque marker), owned like the thing it hides.
    private func writeMarker(path: String, like st: stat) throws(ArchiveError) {
        guard let entry = archive_entry_new() else { throw ArchiveError(.io, "libarchive: out of memory") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname(entry, path)
        archive_entry_set_filetype(entry, UInt32(Glibc.S_IFREG))
        archive_entry_set_perm(entry, 0o644)
        archive_entry_set_size(entry, 0)
        archive_entry_set_uid(entry, la_int64_t(st.st_uid))
        archive_entry_set_gid(entry, la_int64_t(st.st_gid))
        archive_entry_set_mtime(entry, st.st_mtim.tv_sec, st.st_mtim.tv_nsec)
        try LibArchive.check(archive_write_header(archive, entry), archive, "cannot write \(path)")
    }

    private func copyXattrs(_ dirFD: Int32, _ name: String, _ entry: OpaquePointer, path: String) throws(ArchiveError) {
        let n = berth_llistxattrat(dirFD, name, nil, 0)
        guard n > 0 else { return }
        var list = [CChar](repeating: 0, count: n)
        let got = berth_llistxattrat(dirFD, name, &list, n)
        guard got > 0 else { return }
        for key in list[0..<got].split(separator: 0).map({ String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self) }) {
            if key.hasPrefix("trusted.overlay.") { continue }
            let size = berth_lgetxattrat(dirFD, name, key, nil, 0)
            guard size >= 0 else { continue }
            var value = [UInt8](repeating: 0, count: max(size, 1))
            let vs = berth_lgetxattrat(dirFD, name, key, &value, size)
            guard vs >= 0 else { continue }
            archive_entry_xattr_add_entry(entry, key, value, vs)
        }
    }

    static func sortedNames(_ dirFD: Int32) throws(ArchiveError) -> [String] {
        let fd = openat(dirFD, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0, let dir = fdopendir(fd) else { throw ArchiveError(.io, "read directory: \(errnoString())") }
        defer { closedir(dir) }
        var names: [String] = []
        while let ent = readdir(dir) {
            let name = withUnsafePointer(to: ent.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }
}
