import CBerthSys
import Glibc

/// Builds the container's root filesystem in the init's new mount namespace and pivots into
/// it. Runs in the child before exec; a failing step throws a message naming what failed.
///
/// Order (as runc): propagation, overlay, /proc, /sys, /sys/fs/cgroup, /dev (devices, pts, shm, mqueue,
/// console), the /etc files, the spec's mounts, pivot_root, then — inside — masked and
/// read-only paths and a read-only root. Because all of this lives in the child's mount
/// namespace, it disappears with the container; nothing needs unmounting on the host.
struct RootfsSetup {
    let spec: ContainerSpec
    var paths: RootfsPaths

    init(spec: ContainerSpec, paths: RootfsPaths? = nil) {
        self.spec = spec
        self.paths = paths ?? RootfsPaths(host: spec)
    }

    /// Everything before pivot_root. Returns the pty `(master, slave)` when the process has a
    /// terminal: it is opened in the container's own devpts, so `tty` prints `/dev/pts/0`.
    func mountAll() throws(RuntimeError) -> (master: Int32, slave: Int32)? {
        try Mounter.propagate("/", UInt(MS_REC | MS_SLAVE), describe: "/")
        try mountOverlay()
        let root = try RootDirectory.open(host: paths.mountPoint)
        defer { root.close() }
        try mountProc(root)
        try mountSys(root)
        try mountCgroups(root)
        let pty = try mountDev(root)
        try bindEtcFiles(root)
        try mountSpecMounts(root)
        return pty
    }

    /// pivot_root into the merged root and detach the old one (runc's `pivot_root(".", ".")`).
    func pivot() throws(RuntimeError) {
        let root = try RootDirectory.open(host: paths.mountPoint)
        defer { root.close() }
        guard fchdir(root.fd) == 0 else { throw .sys("chdir \(spec.rootfs.mountPoint)") }
        guard berth_pivot_root(".", ".") == 0 else { throw .sys("pivot_root \(spec.rootfs.mountPoint)") }
        // The old root is now stacked on "."; make sure its unmount cannot propagate to the host.
        try Mounter.propagate(".", UInt(MS_SLAVE | MS_REC), describe: "the old root")
        guard umount2(".", Int32(MNT_DETACH)) == 0 else { throw .sys("unmount the old root") }
        guard chdir("/") == 0 else { throw .sys("chdir /") }
    }

    /// After pivot_root: masked and read-only paths (unless privileged), then a read-only root.
    func harden() throws(RuntimeError) {
        let root = try RootDirectory.open(host: "/")
        defer { root.close() }
        if !spec.privileged {
            for path in spec.maskedPaths { try mask(path, in: root) }
            for path in spec.readonlyPaths { try makeReadOnly(path, in: root) }
        }
        if spec.rootfs.readOnly {
            let fd = try root.open("/")
            defer { Descriptor.close(fd) }
            try Mounter.setAttributes(fd: fd, readOnly: true, flags: 0, recursive: false, describe: "/")
        }
    }

    func mountOverlay() throws(RuntimeError) {
        let fs = paths
        guard !fs.lowerDirs.isEmpty else { throw RuntimeError(.invalidArgument, "rootfs has no layers") }
        mkdir(fs.mountPoint, 0o700)
        if let layersDir = fs.layersDir {
            guard chdir(layersDir) == 0 else { throw .sys("chdir \(layersDir)") }
        }
        var options = "lowerdir=" + fs.lowerDirs.joined(separator: ":")
        if !fs.upperDir.isEmpty { options += ",upperdir=\(fs.upperDir),workdir=\(fs.workDir)" }
        guard options.utf8.count < 4096 else {
            throw RuntimeError(.invalidArgument, "overlay mount options exceed a page (\(fs.lowerDirs.count) layers)")
        }
        // mount(2) resolves relative lowerdirs against the working directory and the mount point
        // against it too (staged paths), so only return to / when we chdir'd for the layers.
        try Mounter.mount("overlay", on: fs.mountPoint, type: "overlay", flags: 0, data: options,
                          describe: "overlay on \(spec.rootfs.mountPoint)")
        if fs.layersDir != nil {
            guard chdir("/") == 0 else { throw .sys("chdir /") }
        }
    }

    private func mountProc(_ root: RootDirectory) throws(RuntimeError) {
        // /proc must be a real directory (CVE-2019-19921: a symlinked /proc redirects writes).
        let fd = try root.makeDirectory("/proc", noSymlinks: true)
        defer { Descriptor.close(fd) }
        try Mounter.mount("proc", on: RootDirectory.procPath(fd), type: "proc",
                          flags: UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC), describe: "proc on /proc")
    }

    private func mountSys(_ root: RootDirectory) throws(RuntimeError) {
        let fd = try root.makeDirectory("/sys", noSymlinks: true)
        defer { Descriptor.close(fd) }
        let readOnly = spec.privileged ? 0 : UInt(MS_RDONLY)
        let flags = UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC) | readOnly
        do {
            try Mounter.mount("sysfs", on: RootDirectory.procPath(fd), type: "sysfs", flags: flags,
                              describe: "sysfs on /sys")
        } catch {
            // sysfs can only be mounted fresh in a network namespace we own; otherwise bind the
            // host's, read-only all the way down.
            try Mounter.bind("/sys", onto: fd, recursive: true, describe: "/sys on /sys")
            let mounted = try root.open("/sys", noSymlinks: true)
            defer { Descriptor.close(mounted) }
            try Mounter.setAttributes(fd: mounted, readOnly: readOnly != 0, flags: flags,
                                      recursive: true, describe: "/sys")
        }
    }
}
