import CBerthSys
import FoundationEssentials
import Glibc

/// `berth-shim --view`: a stopped container's filesystem as its process would see it — the
/// overlay, the /etc files, binds, volumes and (fresh, private) tmpfs mounts — mounted in a
/// private mount namespace of this short-lived process, so berthd can copy in and out of it
/// through `/proc/<pid>/root` without mounting anything on the host. Everything unmounts
/// itself when the process exits, even if berthd dies meanwhile.
///
/// Protocol: one JSON `ContainerSpec` line on stdin; `ready` (or `error: …`) on stdout; then
/// the mounts stay until stdin reaches end of file.
public enum RootfsView {
    public static func main() -> Int32 {
        do {
            let line = try readLine(0)
            let spec = try JSONDecoder().decode(ContainerSpec.self, from: Data(line))
            try mount(spec)
            try Descriptor.writeAll(1, "ready\n")
        } catch {
            _ = try? Descriptor.writeAll(1, "error: \(error)\n")
            return 1
        }
        // Hold the namespace until berthd is done (it closes our stdin, or dies).
        while let chunk = try? Descriptor.read(0), !chunk.isEmpty {}
        return 0
    }

    static func mount(_ spec: ContainerSpec) throws {
        guard berth_unshare(Namespace.mount) == 0 else { throw RuntimeError.sys("unshare the mount namespace") }
        // Nothing mounted here may propagate back to the host.
        try Mounter.propagate("/", UInt(MS_REC | MS_SLAVE), describe: "/")
        let setup = RootfsSetup(spec: spec)
        try setup.mountOverlay()
        let root = try RootDirectory.open(host: spec.rootfs.mountPoint)
        defer { root.close() }
        try setup.bindEtcFiles(root)
        try setup.mountSpecMounts(root)
    }

    /// The first line of `fd` (up to 16 MiB), read byte by byte so nothing after it is consumed.
    static func readLine(_ fd: Int32) throws(RuntimeError) -> [UInt8] {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while line.count < 16 << 20 {
            let n = Glibc.read(fd, &byte, 1)
            if n < 0 { if errno == EINTR { continue }; throw .sys("read the spec") }
            if n == 0 || byte == 0x0a { return line }
            line.append(byte)
        }
        throw RuntimeError(.invalidArgument, "the spec line is too long")
    }
}
