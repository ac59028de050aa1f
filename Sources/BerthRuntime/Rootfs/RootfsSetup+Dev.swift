import CBerthSys
import Glibc

/// A character device node runc and Docker create in every container's /dev.
struct DeviceNode: Sendable {
    var name: String
    var major: UInt32
    var minor: UInt32

    static let standard = [
        DeviceNode(name: "null", major: 1, minor: 3), DeviceNode(name: "zero", major: 1, minor: 5),
        DeviceNode(name: "full", major: 1, minor: 7), DeviceNode(name: "random", major: 1, minor: 8),
        DeviceNode(name: "urandom", major: 1, minor: 9), DeviceNode(name: "tty", major: 5, minor: 0),
    ]
}

extension RootfsSetup {
    /// /dev as a fresh tmpfs: device nodes, pts (its own instance), ptmx, shm, mqueue, the fd
    /// and stdio links, and the console when there is a terminal.
    func mountDev(_ root: RootDirectory) throws(RuntimeError) -> (master: Int32, slave: Int32)? {
        let mountTarget = try root.makeDirectory("/dev", noSymlinks: true)
        try Mounter.mount("tmpfs", on: RootDirectory.procPath(mountTarget), type: "tmpfs",
                          flags: UInt(MS_NOSUID | MS_STRICTATIME), data: "mode=755,size=65536k",
                          describe: "tmpfs on /dev")
        Descriptor.close(mountTarget)
        // Our own empty tmpfs from here on: plain *at calls cannot meet an image's symlink.
        let dev = try root.open("/dev", flags: O_RDONLY | O_DIRECTORY, noSymlinks: true)
        defer { Descriptor.close(dev) }

        for node in DeviceNode.standard {
            if spec.userNamespace != nil {
                try bindHostDevice(node, into: dev)
            } else {
                guard berth_mknodat(dev, node.name, S_IFCHR | 0o666, node.major, node.minor) == 0 else {
                    throw .sys("mknod /dev/\(node.name)")
                }
            }
        }
        if spec.privileged { copyHostDevices(into: dev) }

        let pts = try subdirectory(dev, "pts")
        try Mounter.mount("devpts", on: RootDirectory.procPath(pts), type: "devpts",
                          flags: UInt(MS_NOSUID | MS_NOEXEC),
                          data: "newinstance,ptmxmode=0666,mode=0620,gid=5", describe: "devpts on /dev/pts")
        Descriptor.close(pts)
        let shm = try subdirectory(dev, "shm")
        try Mounter.mount("shm", on: RootDirectory.procPath(shm), type: "tmpfs",
                          flags: UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC), data: "mode=1777,size=65536k",
                          describe: "tmpfs on /dev/shm")
        Descriptor.close(shm)
        let mqueue = try subdirectory(dev, "mqueue")
        try Mounter.mount("mqueue", on: RootDirectory.procPath(mqueue), type: "mqueue",
                          flags: UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC), describe: "mqueue on /dev/mqueue")
        Descriptor.close(mqueue)

        let links = [("ptmx", "pts/ptmx"), ("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                     ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2"), ("core", "/proc/kcore")]
        for (name, target) in links {
            guard symlinkat(target, dev, name) == 0 else { throw .sys("symlink /dev/\(name)") }
        }
        return spec.process.terminal ? try openConsole(dev) : nil
    }

    /// In a user namespace mknod is not allowed: bind the host's node, as runc does. The host's
    /// node is checked to be the device it should be before it is bound.
    private func bindHostDevice(_ node: DeviceNode, into dev: Int32) throws(RuntimeError) {
        var st = stat()
        guard stat("/dev/" + node.name, &st) == 0, st.st_mode & S_IFMT == S_IFCHR,
              berth_major(st.st_rdev) == node.major, berth_minor(st.st_rdev) == node.minor else {
            throw RuntimeError(.invalidArgument, "the host's /dev/\(node.name) is not device \(node.major):\(node.minor)")
        }
        let file = openat(dev, node.name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o666)
        guard file >= 0 else { throw .sys("create /dev/\(node.name)") }
        Descriptor.close(file)
        let target = openat(dev, node.name, berth_O_PATH | O_NOFOLLOW | O_CLOEXEC)
        guard target >= 0 else { throw .sys("open /dev/\(node.name)") }
        defer { Descriptor.close(target) }
        try Mounter.bind("/dev/" + node.name, onto: target, recursive: false, describe: "/dev/\(node.name)")
    }

    private func subdirectory(_ dev: Int32, _ name: String) throws(RuntimeError) -> Int32 {
        guard mkdirat(dev, name, 0o755) == 0 else { throw .sys("mkdir /dev/\(name)") }
        let fd = openat(dev, name, berth_O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw .sys("open /dev/\(name)") }
        return fd
    }

    /// A pty from the container's devpts, sized from consoleSize, with its slave bound on
    /// /dev/console.
    private func openConsole(_ dev: Int32) throws(RuntimeError) -> (master: Int32, slave: Int32) {
        let pts = openat(dev, "pts", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard pts >= 0 else { throw .sys("open /dev/pts") }
        defer { Descriptor.close(pts) }
        var master: Int32 = -1, slave: Int32 = -1
        guard berth_open_pty(pts, "ptmx", &master, &slave) == 0 else { throw .sys("open the console pty") }
        if let size = spec.process.consoleSize, size.count == 2 {
            _ = berth_set_winsize(master, size[0], size[1])
        }
        let console = openat(dev, "console", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0)
        guard console >= 0 else { throw .sys("create /dev/console") }
        Descriptor.close(console)
        let target = openat(dev, "console", berth_O_PATH | O_NOFOLLOW | O_CLOEXEC)
        guard target >= 0 else { throw .sys("open /dev/console") }
        defer { Descriptor.close(target) }
        try Mounter.bind(RootDirectory.procPath(slave), onto: target, recursive: false,
                         describe: "the console on /dev/console")
        return (master, slave)
    }

    /// `--privileged`: every character and block device at the top of the host's /dev.
    private func copyHostDevices(into dev: Int32) {
        guard let dir = opendir("/dev") else { return }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard !["console", "ptmx", "tty", "pts", "shm", "mqueue", "core"].contains(name) else { continue }
            var st = stat()
            guard fstatat(AT_FDCWD, "/dev/" + name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            let type = st.st_mode & S_IFMT
            guard type == S_IFCHR || type == S_IFBLK else { continue }
            _ = berth_mknodat(dev, name, type | (st.st_mode & 0o7777),
                              berth_major(st.st_rdev), berth_minor(st.st_rdev))
        }
    }
}
