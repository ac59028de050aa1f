import CArchive
import Foundation
import Glibc

/// Reads the regular files of an outer archive (`docker save` output, an OCI layout tar),
/// compressed or not, handing each file's bytes to the caller as they stream.
public enum TarStreamReader {
    /// Calls `body(path, size, nextChunk)` for each regular file; `nextChunk()` returns nil at
    /// the end of the file. Paths are normalized (no `./`) and refused if they escape.
    public static func forEachFile(fd: Int32, _ body: (String, Int64, () throws(ArchiveError) -> UnsafeRawBufferPointer?) throws -> Void) throws {
        guard let a = archive_read_new() else { throw ArchiveError(.io, "libarchive: out of memory") }
        defer { archive_read_free(a) }
        LibArchive.supportLayerCompressions(a)
        archive_read_support_format_tar(a)
        archive_read_support_format_empty(a)
        try LibArchive.check(archive_read_open_fd(a, fd, 1 << 20), a, "cannot read archive")
        while true {
            var entry: OpaquePointer?
            let rc = archive_read_next_header(a, &entry)
            if rc == ARCHIVE_EOF { return }
            guard rc >= ARCHIVE_WARN, let entry else {
                throw ArchiveError(.malformed, "not a valid tar archive: \(LibArchive.errorString(a))")
            }
            guard archive_entry_filetype(entry) == UInt32(Glibc.S_IFREG), let name = archive_entry_pathname(entry) else { continue }
            let raw = String(cString: name)
            let path = try EntryPath(raw)
            var ended = false
            try body(path.relative, archive_entry_size(entry)) { () throws(ArchiveError) -> UnsafeRawBufferPointer? in
                if ended { return nil }
                var buf: UnsafeRawPointer?
                var size = 0
                var offset: la_int64_t = 0
                let rc = archive_read_data_block(a, &buf, &size, &offset)
                if rc == ARCHIVE_EOF { ended = true; return nil }
                if rc < ARCHIVE_WARN { throw ArchiveError(.malformed, "\(raw): \(LibArchive.errorString(a))") }
                return UnsafeRawBufferPointer(start: buf, count: size)
            }
        }
    }
}

/// Writes an outer archive (PAX tar) entry by entry.
public final class TarStreamWriter {
    let archive: OpaquePointer
    let mtime: Int

    /// Starts a tar on `fd`; every entry gets `mtime` so equal content gives equal bytes.
    public init(fd: Int32, mtime: Int = 0) throws(ArchiveError) {
        guard let a = archive_write_new() else { throw ArchiveError(.io, "libarchive: out of memory") }
        archive = a
        self.mtime = mtime
        try LibArchive.check(archive_write_set_format_pax_restricted(a), a, "tar format")
        archive_write_set_bytes_in_last_block(a, 1)
        try LibArchive.check(archive_write_open_fd(a, fd), a, "cannot start archive")
    }

    deinit { archive_write_free(archive) }

    private func header(_ path: String, type: mode_t, mode: mode_t, size: Int64) throws(ArchiveError) {
        guard let e = archive_entry_new() else { throw ArchiveError(.io, "libarchive: out of memory") }
        defer { archive_entry_free(e) }
        archive_entry_set_pathname(e, path)
        archive_entry_set_filetype(e, UInt32(type))
        archive_entry_set_perm(e, mode)
        archive_entry_set_size(e, size)
        archive_entry_set_mtime(e, mtime, 0)
        try LibArchive.check(archive_write_header(archive, e), archive, "cannot write \(path)")
    }

    public func addDirectory(_ path: String) throws(ArchiveError) {
        try header(path.hasSuffix("/") ? path : path + "/", type: Glibc.S_IFDIR, mode: 0o755, size: 0)
    }

    public func addData(_ path: String, _ data: Data) throws(ArchiveError) {
        try header(path, type: Glibc.S_IFREG, mode: 0o644, size: Int64(data.count))
        let n = data.withUnsafeBytes { archive_write_data(archive, $0.baseAddress, $0.count) }
        if n < 0 { throw ArchiveError(.io, "cannot write \(path): \(LibArchive.errorString(archive))") }
    }

    /// Copies the file at `source` in as `path`.
    public func addFile(_ path: String, contentsOf source: String) throws(ArchiveError) {
        let fd = open(source, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ArchiveError(.io, "cannot open \(source): \(errnoString())") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ArchiveError(.io, "cannot stat \(source): \(errnoString())") }
        try header(path, type: Glibc.S_IFREG, mode: 0o644, size: Int64(st.st_size))
        let size = 1 << 20
        let buf = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { buf.deallocate() }
        while true {
            let n = read(fd, buf, size)
            if n < 0 { if errno == EINTR { continue }; throw ArchiveError(.io, "read \(source): \(errnoString())") }
            if n == 0 { break }
            if archive_write_data(archive, buf, n) < 0 {
                throw ArchiveError(.io, "cannot write \(path): \(LibArchive.errorString(archive))")
            }
        }
    }

    public func finish() throws(ArchiveError) {
        try LibArchive.check(archive_write_close(archive), archive, "cannot finish archive")
    }
}
