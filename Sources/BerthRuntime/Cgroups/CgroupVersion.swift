/// Which cgroup interface a cgroup root offers.
public enum CgroupVersion: String, Codable, Sendable {
    /// One hierarchy per controller (`/sys/fs/cgroup/memory`, `/sys/fs/cgroup/cpu`, …).
    case v1
    /// The unified hierarchy: one directory per cgroup with every controller's files.
    case v2

    /// v2 when the root itself is a cgroup2 mount (it has `cgroup.controllers`), else v1 —
    /// including the hybrid layout where cgroup2 is mounted only at `<root>/unified`.
    public static func detect(root: String = Cgroup.defaultRoot) -> CgroupVersion {
        CgroupFS.exists("\(root)/cgroup.controllers") ? .v2 : .v1
    }
}
