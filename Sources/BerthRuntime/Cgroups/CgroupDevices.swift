/// The device rules of a non-privileged container (Docker's list plus runc's `AllowedDevices`):
/// any node may be created (`m`), but only these may be opened, so `mknod /dev/sda` followed
/// by an open fails with EPERM.
enum CgroupDevices {
    /// v1 `devices.allow` lines, written after `a` went to `devices.deny`.
    static let allowed = [
        "c *:* m", "b *:* m",
        "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",  // null zero full random urandom
        "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm",  // tty console ptmx pts
        "c 10:200 rwm",  // tun
    ]
}

extension CgroupV1 {
    /// Denies every device, then allows Docker's list. Without a devices hierarchy nothing is
    /// written (the host did not mount one).
    func restrictDevices() throws(CgroupError) {
        guard let dir = dir("devices") else { return }
        try CgroupFS.write("\(dir)/devices.deny", "a")
        for rule in CgroupDevices.allowed { try CgroupFS.write("\(dir)/devices.allow", rule) }
    }
}

extension CgroupV2 {
    /// Attaches `CgroupDeviceProgram` built from Docker's list to the cgroup: cgroup v2 has no
    /// devices files, the kernel asks the cgroup's BPF_PROG_TYPE_CGROUP_DEVICE programs instead.
    /// The attachment holds the program; it goes with the cgroup.
    func restrictDevices() throws(CgroupError) {
        try CgroupDeviceProgram(rules: CgroupDevices.allowed.compactMap(CgroupDeviceProgram.Rule.init(parsing:))).attach(to: dir)
    }
}
