import CBerthSys

/// procfs, sysfs, cgroup, devpts, mqueue, debugfs and the like: what a running container has
/// mounted that Docker's view of its files does not show, and whose files are not data.
public enum KernelFilesystem {
    static let magics: Set<Int64> = [
        0x9fa0, 0x6265_6572, 0x0027_e0eb, 0x6367_7270, 0x1cd1, 0x1980_0202, 0x6462_6720,
        0x7363_6673, 0x7472_6163, 0xcafe_4a11, 0x4249_4e4d, 0x6e73_6673,
    ]

    /// Whether the file open as `fd` lives on one.
    public static func holds(_ fd: Int32) -> Bool {
        magics.contains(Int64(berth_fs_type(fd)))
    }
}
