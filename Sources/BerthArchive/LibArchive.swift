import CArchive
import Glibc

/// Small conveniences over libarchive's C API.
enum LibArchive {
    static func errorString(_ a: OpaquePointer?) -> String {
        guard let a, let s = archive_error_string(a) else { return "unknown libarchive error" }
        return String(cString: s)
    }

    /// The compressions layers and image archives use; never libarchive's external-program
    /// filters (lrzip, lzop, ...), which would run other programs on untrusted input.
    static func supportLayerCompressions(_ a: OpaquePointer) {
        archive_read_support_filter_gzip(a)
        archive_read_support_filter_zstd(a)
        archive_read_support_filter_xz(a)
        archive_read_support_filter_bzip2(a)
    }

    static func check(_ rc: Int32, _ a: OpaquePointer?, _ what: String) throws(ArchiveError) {
        if rc < ARCHIVE_WARN {
            throw ArchiveError(.malformed, "\(what): \(errorString(a))")
        }
    }
}

/// A read-only stream of decompressed bytes from a file (gzip, zstd, xz, bzip2 or plain),
/// hashing every byte so the caller learns the uncompressed digest (the layer's diff_id).
final class DecompressedStream {
    let archive: OpaquePointer
    var hasher = DigestHasherBox()
    private var started = false
    /// libarchive refuses reads after it reported the end, and drain() reads once more.
    private var finished = false

    init(fd: Int32) throws(ArchiveError) {
        guard let a = archive_read_new() else { throw ArchiveError(.io, "libarchive: out of memory") }
        archive = a
        // The formats Docker reads, and no more: filter_all would also run external programs
        // (lrzip, lzop, grzip) for layers that merely start with their magic.
        LibArchive.supportLayerCompressions(a)
        archive_read_support_format_raw(a)
        archive_read_support_format_empty(a)
        try LibArchive.check(archive_read_open_fd(a, fd, 1 << 20), a, "cannot read layer stream")
    }

    deinit { archive_read_free(archive) }

    /// Reads up to `count` decompressed bytes into `buffer`; 0 at end.
    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(ArchiveError) -> Int {
        if finished { return 0 }
        if !started {
            started = true
            var entry: OpaquePointer?
            let rc = archive_read_next_header(archive, &entry)
            if rc == ARCHIVE_EOF { finished = true; return 0 }
            try LibArchive.check(rc, archive, "cannot decompress layer")
            // libarchive peels compression layers recursively; Docker removes one, so a layer
            // compressed twice is not a tar and must not get the inner tar's diff_id.
            if archive_filter_count(archive) > 2 {
                throw ArchiveError(.malformed, "layer is compressed more than once; it is not a tar")
            }
        }
        let n = archive_read_data(archive, buffer, count)
        if n < 0 { throw ArchiveError(.malformed, "cannot decompress layer: \(LibArchive.errorString(archive))") }
        if n == 0 { finished = true }
        if n > 0 { hasher.update(UnsafeRawBufferPointer(start: buffer, count: n)) }
        return n
    }

    /// Reads and hashes whatever is left (tar padding after the end-of-archive blocks).
    func drain() throws(ArchiveError) {
        let size = 1 << 16
        let buf = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { buf.deallocate() }
        while try read(into: buf, count: size) > 0 {}
    }
}

/// The decompressed bytes of a possibly compressed stream, for storing a layer uncompressed.
public final class LayerStream {
    let stream: DecompressedStream

    public init(fd: Int32) throws(ArchiveError) { stream = try DecompressedStream(fd: fd) }

    /// Hands every decompressed chunk to `sink`; refuses input that is not a tar.
    public func copy<E: Error>(_ sink: (UnsafeRawBufferPointer) throws(E) -> Void) throws {
        let size = 1 << 20
        let buf = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { buf.deallocate() }
        var first = true
        while true {
            let n = try stream.read(into: buf, count: size)
            if n == 0 { return }
            if first {
                first = false
                // A tar header has "ustar" at offset 257.
                let magic = n >= 262 ? String(decoding: UnsafeRawBufferPointer(start: buf + 257, count: 5), as: UTF8.self) : ""
                if magic != "ustar" {
                    throw ArchiveError(.malformed, "the input is not a tar archive (plain, gzip, zstd, xz or bzip2)")
                }
            }
            try sink(UnsafeRawBufferPointer(start: buf, count: n))
        }
    }
}
