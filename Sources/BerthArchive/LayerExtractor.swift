import BerthOCI
import CArchive
import CBerthSys
import Glibc

/// What applying a layer produced.
public struct ExtractResult: Sendable {
    /// sha256 of the uncompressed tar: the layer's diff_id.
    public let diffID: Digest
    /// Bytes of the uncompressed tar.
    public let tarSize: Int64
    /// Bytes of regular file content written.
    public let contentSize: Int64
}

/// Applies a layer tar (plain, gzip, zstd, ...) into an empty directory in overlay form:
/// `.wh.NAME` becomes a 0/0 character device, `.wh..wh..opq` the `trusted.overlay.opaque`
/// xattr. Every path is resolved beneath the root with openat2(RESOLVE_BENEATH), so no entry
/// can write outside it, even through symlinks the layer itself creates.
public enum LayerExtractor {
    public static let opaqueXattr = "trusted.overlay.opaque"
    static let whiteoutPrefix = ".wh."
    static let opaqueMarker = ".wh..wh..opq"

    /// Extracts the layer file at `layerPath` into `root` (which must exist).
    public static func extract(layerPath: String, into root: String) throws(ArchiveError) -> ExtractResult {
        let fd = open(layerPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ArchiveError(.io, "cannot open layer \(layerPath): \(errnoString())") }
        defer { close(fd) }
        return try extract(fd: fd, into: root)
    }

    /// Extracts the layer read from `fd` into `root`.
    public static func extract(fd: Int32, into root: String) throws(ArchiveError) -> ExtractResult {
        let rootFD = open(root, berth_O_PATH | O_DIRECTORY | O_CLOEXEC)
        guard rootFD >= 0 else { throw ArchiveError(.io, "cannot open layer root \(root): \(errnoString())") }
        defer { close(rootFD) }
        let stream = try DecompressedStream(fd: fd)
        let applier = Applier(rootFD: rootFD)
        defer { applier.closeAll() }
        try TarReader.read(from: stream) { (entry: OpaquePointer, reader: OpaquePointer) throws(ArchiveError) in
            try applier.apply(entry: entry, reader: reader)
        }
        try stream.drain()
        try applier.finish()
        // syncfs needs a real descriptor; an O_PATH one gives EBADF.
        let syncFD = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        defer { if syncFD >= 0 { close(syncFD) } }
        if syncFD < 0 || berth_syncfs(syncFD) != 0 { throw ArchiveError(.io, "syncfs \(root): \(errnoString())") }
        return ExtractResult(diffID: stream.hasher.finalize(), tarSize: stream.hasher.count, contentSize: applier.contentSize)
    }
}

func errnoString(_ e: Int32 = errno) -> String { String(cString: strerror(e)) }

/// Reads tar entries from a decompressed stream through a libarchive read callback.
enum TarReader {
    final class Context {
        let stream: DecompressedStream
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 16)
        var error: ArchiveError?
        init(stream: DecompressedStream) { self.stream = stream }
        deinit { buffer.deallocate() }
    }

    static func read(from stream: DecompressedStream, _ body: (OpaquePointer, OpaquePointer) throws(ArchiveError) -> Void) throws(ArchiveError) {
        guard let a = archive_read_new() else { throw ArchiveError(.io, "libarchive: out of memory") }
        defer { archive_read_free(a) }
        archive_read_support_format_tar(a)
        archive_read_support_format_empty(a)
        let ctx = Context(stream: stream)
        let unmanaged = Unmanaged.passRetained(ctx)
        defer { unmanaged.release() }
        let rc = archive_read_open(a, unmanaged.toOpaque(), nil, { _, client, bufferOut in
            guard let client else { return -1 }
            let ctx = Unmanaged<Context>.fromOpaque(client).takeUnretainedValue()
            do throws(ArchiveError) {
                let n = try ctx.stream.read(into: ctx.buffer, count: 1 << 20)
                bufferOut?.pointee = UnsafeRawPointer(ctx.buffer)
                return n
            } catch {
                ctx.error = error
                return -1
            }
        }, nil)
        // Opening already reads; a stream error then leaves libarchive with no message of its own.
        if let e = ctx.error { throw e }
        try LibArchive.check(rc, a, "cannot read layer tar")
        while true {
            var entry: OpaquePointer?
            let rc = archive_read_next_header(a, &entry)
            // A failed read of the stream can surface as a clean end; the stream's error wins.
            if let e = ctx.error { throw e }
            if rc == ARCHIVE_EOF { break }
            if rc < ARCHIVE_WARN || entry == nil {
                throw ArchiveError(.malformed, "layer is not a valid tar stream: \(LibArchive.errorString(a))")
            }
            guard let entry else { break }
            try body(entry, a)
            if let e = ctx.error { throw e }
        }
    }
}
