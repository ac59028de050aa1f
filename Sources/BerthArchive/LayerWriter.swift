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
        guard let a = archive_write_new() else { throw ArchiveError(.io, "libarchive: out of memory") }
        defer { archive_write_free(a) }
        try LibArchive.check(archive_write_set_format_pax_restricted(a), a, "tar format")
        switch compression {
        case .none: break
        case .gzip:
            try LibArchive.check(archive_write_add_filter_gzip(a), a, "gzip")
            // The gzip header would otherwise carry the current time, so equal trees gave unequal digests.
            try LibArchive.check(archive_write_set_filter_option(a, "gzip", "timestamp", nil), a, "gzip")
        case .zstd: try LibArchive.check(archive_write_add_filter_zstd(a), a, "zstd")
        }
        archive_write_set_bytes_in_last_block(a, 1)
        let sink = Sink(fd: fd)
        let unmanaged = Unmanaged.passRetained(sink)
        defer { unmanaged.release() }
        let rc = archive_write_open(a, unmanaged.toOpaque(), nil, { _, client, buffer, length in
            guard let client, let buffer else { return -1 }
            let sink = Unmanaged<Sink>.fromOpaque(client).takeUnretainedValue()
            return sink.write(buffer, length)
        }, nil)
        try LibArchive.check(rc, a, "cannot start layer tar")
        guard let resolver = archive_entry_linkresolver_new() else { throw ArchiveError(.io, "libarchive: out of memory") }
        defer { archive_entry_linkresolver_free(resolver) }
        archive_entry_linkresolver_set_strategy(resolver, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED)
        var walker = Walker(archive: a, resolver: resolver)
        do {
            try walker.walk(dirFD: rootFD, prefix: "")
            try LibArchive.check(archive_write_close(a), a, "cannot finish layer tar")
        } catch {
            // libarchive reports a failed write as its own error; the errno says what happened.
            if let e = sink.error { throw ArchiveError(.io, "cannot write layer: \(errnoString(e))") }
            throw error
        }
        if let e = sink.error { throw ArchiveError(.io, "cannot write layer: \(errnoString(e))") }
        return WriteResult(digest: sink.hasher.finalize(), size: sink.hasher.count)
    }

    final class Sink {
        let fd: Int32
        var hasher = DigestHasherBox()
        var error: Int32?
        init(fd: Int32) { self.fd = fd }
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
            hasher.update(UnsafeRawBufferPointer(start: buffer, count: length))
            return length
        }
    }
}

/// Depth-first, name-sorted walk emitting tar entries.
struct Walker {
    let archive: OpaquePointer
    let resolver: OpaquePointer

    mutating func walk(dirFD: Int32, prefix: String) throws(ArchiveError) {
        for name in try Self.sortedNames(dirFD) {
            var st = stat()
            guard fstatat(dirFD, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else {
                throw ArchiveError(.io, "stat \(prefix + name): \(errnoString())")
            }
            let path = prefix + name
            let kind = st.st_mode & S_IFMT
            if kind == S_IFCHR && st.st_rdev == 0 {
                try writeMarker(path: prefix + LayerExtractor.whiteoutPrefix + name, like: st)
                continue
            }
            if kind == S_IFSOCK { continue }
            guard let entry = archive_entry_new() else { throw ArchiveError(.io, "libarchive: out of memory") }
            archive_entry_copy_stat(entry, &st)
            archive_entry_set_pathname(entry, kind == S_IFDIR ? path + "/" : path)
            if kind == S_IFLNK {
                var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let n = readlinkat(dirFD, name, &buf, Int(PATH_MAX))
                guard n >= 0 else { archive_entry_free(entry); throw ArchiveError(.io, "readlink \(path): \(errnoString())") }
                buf[n] = 0
                archive_entry_set_symlink(entry, buf)
            }
            try copyXattrs(dirFD, name, entry, path: path)
            var opaque = false
            if kind == S_IFDIR {
                var v: [UInt8] = [0, 0]
                opaque = berth_lgetxattrat(dirFD, name, LayerExtractor.opaqueXattr, &v, 2) == 1 && v[0] == UInt8(ascii: "y")
            }
            var e: OpaquePointer? = entry
            var spare: OpaquePointer?
            archive_entry_linkify(resolver, &e, &spare)
            if let e { try writeEntry(e, dirFD: dirFD, name: name, path: path) }
            if let spare { try writeEntry(spare, dirFD: dirFD, name: name, path: path) }
            if kind == S_IFDIR {
                if opaque { try writeMarker(path: path + "/" + LayerExtractor.opaqueMarker, like: st) }
                let child = openat(dirFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard child >= 0 else { throw ArchiveError(.io, "open \(path): \(errnoString())") }
                defer { close(child) }
                try walk(dirFD: child, prefix: path + "/")
            }
        }
    }

    private func writeEntry(_ entry: OpaquePointer, dirFD: Int32, name: String, path: String) throws(ArchiveError) {
        defer { archive_entry_free(entry) }
        try LibArchive.check(archive_write_header(archive, entry), archive, "cannot write \(path)")
        guard archive_entry_filetype(entry) == S_IFREG, archive_entry_size(entry) > 0 else { return }
        let fd = openat(dirFD, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw ArchiveError(.io, "open \(path): \(errnoString())") }
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
