import CBerthSys
import Glibc

/// One cgroup filesystem the host has under /sys/fs/cgroup, from /proc/self/mountinfo.
struct CgroupMount: Equatable {
    /// Host mount point, e.g. `/sys/fs/cgroup/memory`.
    var mountPoint: String
    /// `cgroup` (v1) or `cgroup2`.
    var type: String
    /// Super-block options to mount the same hierarchy again (`memory`, `name=systemd`, …).
    var options: String

    /// The cgroup mounts at or under /sys/fs/cgroup in a mountinfo table.
    static func parse(mountinfo: String) -> [CgroupMount] {
        mountinfo.split(separator: "\n").compactMap { line in
            guard let separator = line.firstRange(of: " - ") else { return nil }
            let left = line[..<separator.lowerBound].split(separator: " ")
            let right = line[separator.upperBound...].split(separator: " ")
            guard left.count >= 5, right.count >= 3, right[0] == "cgroup" || right[0] == "cgroup2" else { return nil }
            let point = String(left[4])
            guard point == "/sys/fs/cgroup" || point.hasPrefix("/sys/fs/cgroup/") else { return nil }
            // Drop what is per-mount or must not be repeated; keep controllers, name= and flags.
            let options = right[2].split(separator: ",").filter {
                $0 != "rw" && $0 != "ro" && !$0.hasPrefix("release_agent=")
            }
            return CgroupMount(mountPoint: point, type: String(right[0]), options: options.joined(separator: ","))
        }
    }
}

extension RootfsSetup {
    /// /sys/fs/cgroup as the host lays it out, each hierarchy mounted afresh so that (in the
    /// container's cgroup namespace) its root is the container's cgroup. Read-only unless
    /// privileged, as Docker.
    func mountCgroups(_ root: RootDirectory) throws(RuntimeError) {
        let table = String(decoding: (try? Descriptor.readFile("/proc/self/mountinfo")) ?? [], as: UTF8.self)
        let mounts = CgroupMount.parse(mountinfo: table)
        guard !mounts.isEmpty else { return }
        let flags = UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC) | (spec.privileged ? 0 : UInt(MS_RDONLY))
        let target = try root.makeDirectory("/sys/fs/cgroup", noSymlinks: true)
        defer { Descriptor.close(target) }
        if let unified = mounts.first(where: { $0.mountPoint == "/sys/fs/cgroup" && $0.type == "cgroup2" }) {
            try Mounter.mount("cgroup2", on: RootDirectory.procPath(target), type: "cgroup2", flags: flags,
                              data: unified.options.isEmpty ? nil : unified.options, describe: "cgroup2 on /sys/fs/cgroup")
            return
        }
        try Mounter.mount("tmpfs", on: RootDirectory.procPath(target), type: "tmpfs",
                          flags: UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC), data: "mode=755", describe: "tmpfs on /sys/fs/cgroup")
        // Our own fresh tmpfs: plain *at calls are safe inside it.
        let dir = try root.open("/sys/fs/cgroup", flags: O_RDONLY | O_DIRECTORY, noSymlinks: true)
        defer { Descriptor.close(dir) }
        for mount in mounts where mount.mountPoint != "/sys/fs/cgroup" {
            let name = String(mount.mountPoint.dropFirst("/sys/fs/cgroup/".count))
            guard !name.isEmpty, !name.contains("/"), mkdirat(dir, name, 0o755) == 0 else { continue }
            let sub = openat(dir, name, berth_O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard sub >= 0 else { throw .sys("open /sys/fs/cgroup/\(name)") }
            defer { Descriptor.close(sub) }
            try Mounter.mount(mount.type, on: RootDirectory.procPath(sub), type: mount.type, flags: flags,
                              data: mount.options.isEmpty ? nil : mount.options,
                              describe: "\(mount.type) on /sys/fs/cgroup/\(name)")
        }
        copyHostCgroupLinks(into: dir)
        if !spec.privileged {
            let mounted = try root.open("/sys/fs/cgroup", noSymlinks: true)
            defer { Descriptor.close(mounted) }
            try Mounter.setAttributes(fd: mounted, readOnly: true, flags: 0, recursive: false, describe: "/sys/fs/cgroup")
        }
    }

    /// The host's aliases for co-mounted hierarchies (`cpu -> cpu,cpuacct`).
    private func copyHostCgroupLinks(into dir: Int32) {
        guard let host = opendir("/sys/fs/cgroup") else { return }
        defer { closedir(host) }
        while let entry = readdir(host) {
            guard entry.pointee.d_type == UInt8(DT_LNK) else { continue }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            var buffer = [CChar](repeating: 0, count: 256)
            let n = readlink("/sys/fs/cgroup/" + name, &buffer, buffer.count - 1)
            guard n > 0, !name.contains("/") else { continue }
            let link = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard !link.contains("/") else { continue }
            _ = symlinkat(link, dir, name)
        }
    }
}
