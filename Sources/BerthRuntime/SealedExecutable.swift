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

    /// Re-executes the current program from a sealed memfd unless it already runs from one.
    /// Returns (continuing unsealed) only if that is impossible, with the reason.
    public static func reexecIfNeeded() -> String? {
        guard let exe = readLink("/proc/self/exe") else { return "readlink /proc/self/exe: \(errorString(errno))" }
        if exe.hasPrefix("/memfd:\(name)") { return nil }
        let source = Glibc.open("/proc/self/exe", O_RDONLY | O_CLOEXEC)
        guard source >= 0 else { return "open /proc/self/exe: \(errorString(errno))" }
        defer { Descriptor.close(source) }
        let memfd = berth_memfd_create(name)
        guard memfd >= 0 else { return "memfd_create: \(errorString(errno))" }
        defer { Descriptor.close(memfd) }
        do {
            while let chunk = try Descriptor.read(source, max: 1 << 20), !chunk.isEmpty {
                try Descriptor.writeAll(memfd, chunk)
            }
        } catch {
            return "copy the shim binary: \(error.message)"
        }
        guard berth_seal_fd(memfd) == 0 else { return "seal the shim copy: \(errorString(errno))" }
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
