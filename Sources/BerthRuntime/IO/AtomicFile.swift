import FoundationEssentials
import Glibc

/// Files replaced atomically: written to a temp file beside the target, fsynced, renamed over it,
/// and the directory fsynced, so a reader sees the old or the new content, never a torn one.
enum AtomicFile {
    /// On a full filesystem, deletes the data root's reserve file `reserve` (see BerthStore's
    /// `DiskReserve`) and tries once more, so a container that filled the disk cannot keep its
    /// shim from recording its exit.
    static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644, reserve: String? = nil) throws(RuntimeError) {
        do {
            try writeOnce(bytes, to: path, mode: mode)
        } catch let error where (error.errno == ENOSPC || error.errno == EDQUOT) && reserve.map({ unlink($0) == 0 }) == true {
            try writeOnce(bytes, to: path, mode: mode)
        }
    }

    private static func writeOnce(_ bytes: [UInt8], to path: String, mode: mode_t) throws(RuntimeError) {
        let temp = path + ".tmp-\(getpid())"
        let fd = Glibc.open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .sys("create \(temp)") }
        do throws(RuntimeError) {
            try Descriptor.writeAll(fd, bytes)
            guard fsync(fd) == 0 else { throw RuntimeError.sys("fsync \(temp)") }
        } catch {
            Descriptor.close(fd)
            unlink(temp)
            throw error
        }
        Descriptor.close(fd)
        guard rename(temp, path) == 0 else {
            let err = RuntimeError.sys("rename \(temp)")
            unlink(temp)
            throw err
        }
        syncDirectory(of: path)
    }

    /// Encodes `value` as JSON and writes it atomically.
    static func writeJSON(_ value: some Encodable, to path: String, reserve: String? = nil) throws(RuntimeError) {
        try write(try JSONLine.encode(value), to: path, reserve: reserve)
    }

    private static func syncDirectory(of path: String) {
        let dir = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let fd = Glibc.open(dir.isEmpty ? "/" : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            Descriptor.close(fd)
        }
    }
}

/// JSON values as single lines, the framing of the shim's stdout report and control socket.
enum JSONLine {
    static func encode(_ value: some Encodable) throws(RuntimeError) -> [UInt8] {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return Array(try encoder.encode(value))
        } catch {
            throw RuntimeError(.invalidArgument, "cannot encode \(type(of: value)): \(error)")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(RuntimeError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch {
            throw RuntimeError(.invalidArgument, "invalid \(T.self) JSON: \(error)")
        }
    }
}
