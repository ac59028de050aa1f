import CArchive
import Glibc

/// A tar being written to a file descriptor from directory trees: whole trees (`addTree`) or
/// one entry at a time (`addEntry`, for callers that merge trees themselves). Entries keep
/// owners, modes, times, xattrs and hard links; symlinks are stored, never followed.
public final class TarTreeWriter {
    var walker: Walker

    private init(walker: Walker) { self.walker = walker }

    /// Runs `body` on a new tar written to `fd`, then finishes it; returns the bytes written.
    /// Plain form (`overlay` false) is for `docker cp` and export; overlay form for layers.
    public static func write(to fd: Int32, _ body: (TarTreeWriter) throws -> Void) throws -> Int64 {
        try write(to: fd, overlay: false, compression: .none, hashing: false, body).written
    }

    static func write(to fd: Int32, overlay: Bool, compression: LayerWriter.Compression, hashing: Bool,
                      _ body: (TarTreeWriter) throws -> Void) throws -> LayerWriter.Sink {
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
        let sink = LayerWriter.Sink(fd: fd, hashing: hashing)
        let unmanaged = Unmanaged.passRetained(sink)
        defer { unmanaged.release() }
        let rc = archive_write_open(a, unmanaged.toOpaque(), nil, { _, client, buffer, length in
            guard let client, let buffer else { return -1 }
            let sink = Unmanaged<LayerWriter.Sink>.fromOpaque(client).takeUnretainedValue()
            return sink.write(buffer, length)
        }, nil)
        try LibArchive.check(rc, a, "cannot start tar")
        guard let resolver = archive_entry_linkresolver_new() else { throw ArchiveError(.io, "libarchive: out of memory") }
        defer { archive_entry_linkresolver_free(resolver) }
        archive_entry_linkresolver_set_strategy(resolver, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED)
        let tar = TarTreeWriter(walker: Walker(archive: a, resolver: resolver, overlay: overlay))
        do {
            try body(tar)
            try LibArchive.check(archive_write_close(a), a, "cannot finish tar")
        } catch {
            // libarchive reports a failed write as its own error; the errno says what happened.
            if let e = sink.error { throw ArchiveError(.io, "cannot write tar: \(errnoString(e))") }
            throw error
        }
        if let e = sink.error { throw ArchiveError(.io, "cannot write tar: \(errnoString(e))") }
        return sink
    }

    /// The entry `name` of the directory `dirFD` ("." for `dirFD` itself) and everything under
    /// it, named `path` and `path/…` in the tar.
    public func addTree(in dirFD: Int32, name: String, as path: String) throws(ArchiveError) {
        try walker.emit(dirFD: dirFD, name: name, path: path, recurse: true)
    }

    /// Only the entry `name` of `dirFD`, named `path`; a directory's children are not walked.
    /// Returns false when the entry vanished.
    @discardableResult
    public func addEntry(in dirFD: Int32, name: String, as path: String) throws(ArchiveError) -> Bool {
        try walker.emit(dirFD: dirFD, name: name, path: path, recurse: false)
    }
}
