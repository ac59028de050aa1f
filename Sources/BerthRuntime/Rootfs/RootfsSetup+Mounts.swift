import CBerthSys
import Glibc

extension RootfsSetup {
    /// berthd's /etc/hosts, /etc/hostname and /etc/resolv.conf, bound over the image's (created
    /// when missing; an image's symlink there is followed only inside the rootfs).
    func bindEtcFiles(_ root: RootDirectory) throws(RuntimeError) {
        let files = [("/etc/hosts", paths.etcHosts), ("/etc/hostname", paths.etcHostname),
                     ("/etc/resolv.conf", paths.etcResolvConf)]
        for case let (destination, source?) in files {
            let target = try root.makeFile(destination)
            defer { Descriptor.close(target) }
            try Mounter.bind(source, onto: target, recursive: false, describe: "\(source) on \(destination)")
        }
    }

    /// The spec's binds, volumes and tmpfs mounts, in order.
    func mountSpecMounts(_ root: RootDirectory) throws(RuntimeError) {
        for (index, mount) in spec.mounts.enumerated() {
            let options = MountOptions(mount.options)
            let destination = "/" + RootDirectory.components(mount.destination).joined(separator: "/")
            guard destination != "/" else {
                throw RuntimeError(.invalidArgument, "invalid mount destination \(mount.destination): cannot mount over /")
            }
            // As runc's checkProcMount: nothing over /proc except lxcfs-style single files.
            if destination == "/proc" || destination.hasPrefix("/proc/"), !Self.procMountAllowList.contains(destination) {
                throw RuntimeError(.invalidArgument, "invalid mount destination \(destination): cannot be mounted inside /proc")
            }
            switch mount.type {
            case "bind":
                try bindMount(paths.mountSources[index], at: destination, options: options, root: root)
            case "tmpfs":
                let target = try root.makeDirectory(destination)
                defer { Descriptor.close(target) }
                let flags = options.flags | (options.readOnly ? UInt(MS_RDONLY) : 0)
                try Mounter.mount("tmpfs", on: RootDirectory.procPath(target), type: "tmpfs", flags: flags,
                                  data: options.dataString, describe: "tmpfs on \(destination)")
            default:
                throw RuntimeError(.invalidArgument, "unsupported mount type \"\(mount.type)\" for \(destination)")
            }
        }
    }

    static let procMountAllowList: Set<String> = [
        "/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat", "/proc/swaps", "/proc/uptime",
        "/proc/loadavg", "/proc/slabinfo", "/proc/sys/kernel/ns_last_pid",
    ]

    private func bindMount(_ source: String, at destination: String, options: MountOptions,
                           root: RootDirectory) throws(RuntimeError) {
        var st = stat()
        guard stat(source, &st) == 0 else { throw .sys("bind source path \(source)") }
        let target = st.st_mode & S_IFMT == S_IFDIR
            ? try root.makeDirectory(destination) : try root.makeFile(destination)
        try Mounter.bind(source, onto: target, recursive: options.recursive,
                         describe: "\(source) on \(destination)")
        Descriptor.close(target)
        // Re-resolve so the fd is the new mount's root, then apply ro/nosuid/… to the whole tree.
        let mounted = try root.open(destination)
        defer { Descriptor.close(mounted) }
        try Mounter.setAttributes(fd: mounted, readOnly: options.readOnly, flags: options.flags,
                                  recursive: options.recursive, describe: destination)
        try Mounter.propagate(RootDirectory.procPath(mounted), options.propagation ?? UInt(MS_PRIVATE | MS_REC),
                              describe: destination)
    }
}

extension RootfsSetup {
    /// Makes `path` unreadable: /dev/null over a file, an empty read-only tmpfs over a directory.
    /// Missing paths are skipped (they differ between kernels).
    func mask(_ path: String, in root: RootDirectory) throws(RuntimeError) {
        guard let fd = try? root.open(path) else { return }
        defer { Descriptor.close(fd) }
        if RootDirectory.isDirectory(fd) {
            try Mounter.mount("tmpfs", on: RootDirectory.procPath(fd), type: "tmpfs", flags: UInt(MS_RDONLY),
                              data: "nr_blocks=1,nr_inodes=1", describe: "tmpfs on \(path) (masked)")
        } else {
            let null = try root.open("/dev/null", noSymlinks: true)
            defer { Descriptor.close(null) }
            var st = stat()
            guard fstat(null, &st) == 0, st.st_mode & S_IFMT == S_IFCHR,
                  berth_major(st.st_rdev) == 1, berth_minor(st.st_rdev) == 3 else {
                throw RuntimeError(.invalidArgument, "/dev/null is not the null device; refusing to mask \(path)")
            }
            try Mounter.bind(RootDirectory.procPath(null), onto: fd, recursive: false,
                             describe: "/dev/null on \(path) (masked)")
        }
    }

    /// Binds `path` onto itself and makes that mount read-only (keeping nosuid/nodev/noexec).
    func makeReadOnly(_ path: String, in root: RootDirectory) throws(RuntimeError) {
        guard let fd = try? root.open(path) else { return }
        try Mounter.bind(RootDirectory.procPath(fd), onto: fd, recursive: true, describe: "\(path) read-only")
        Descriptor.close(fd)
        let mounted = try root.open(path)
        defer { Descriptor.close(mounted) }
        try Mounter.setAttributes(fd: mounted, readOnly: true, flags: 0, recursive: true, describe: path)
    }
}
