import CBerthSys
import Glibc

/// Runs berth-shim from a sealed memfd copy of itself (runc's fix for CVE-2019-5736).
///
/// The container's init and every exec start as forks of the shim and, until their execve, have
/// `/proc/<pid>/exe` pointing at the shim binary. With the shim running from a sealed memfd,
/// whatever a container manages to open through that link is an immutable anonymous copy,
/// never the host's berth-shim file.
public enum SealedExecutable {
    static let name = "berth-shim"

    /// A sealed memfd (close-on-exec) holding a copy of the executable at `path`. berthd makes
    /// one and starts every shim from it (`/proc/self/fd/N`), so the shims share its pages
    /// instead of each copying the binary again.
    public static func sealedCopy(of path: String) throws(RuntimeError) -> Int32 {
        let source = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard source >= 0 else { throw .sys("open \(path)") }
        defer { Descriptor.close(source) }
        let memfd = berth_memfd_create(name)
        guard memfd >= 0 else { throw .sys("memfd_create") }
        do throws(RuntimeError) {
            while let chunk = try Descriptor.read(source, max: 1 << 20), !chunk.isEmpty {
                try Descriptor.writeAll(memfd, chunk)
            }
            guard berth_seal_fd(memfd) == 0 else { throw RuntimeError.sys("seal the copy of \(path)") }
        } catch {
            Descriptor.close(memfd)
            throw error
        }
        return memfd
    }

    /// Re-executes the current program from a sealed memfd unless it already runs from one
    /// (as it does when berthd started it from its copy).
    /// Returns (continuing unsealed) only if that is impossible, with the reason.
    public static func reexecIfNeeded() -> String? {
        guard let exe = readLink("/proc/self/exe") else { return "readlink /proc/self/exe: \(errorString(errno))" }
        if exe.hasPrefix("/memfd:\(name)") { return nil }
        let memfd: Int32
        do { memfd = try sealedCopy(of: "/proc/self/exe") } catch { return "copy the shim binary: \(error.message)" }
        defer { Descriptor.close(memfd) }
        // Libraries found through $ORIGIN must still be found once the origin is a memfd.
        if let slash = exe.lastIndex(of: "/") {
            let dir = String(exe[..<slash])
            let existing = getenv("LD_LIBRARY_PATH").map { ":" + String(cString: $0) } ?? ""
            setenv("LD_LIBRARY_PATH", dir + existing, 1)
        }
        var argv = CommandLine.arguments.map { strdup($0) } + [nil]
        fexecve(memfd, &argv, environ)
        let err = errno
        for p in argv { free(p) }
        return "fexecve the sealed copy: \(errorString(err))"
    }

    private static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
