import CBerthSys
import Glibc

/// mount(2) and friends with errors that say what failed, in Docker's style.
enum Mounter {
    static func mount(_ source: String?, on target: String, type: String?, flags: UInt = 0,
                      data: String? = nil, describe: String) throws(RuntimeError) {
        let rc: Int32
        if let data {
            rc = data.withCString { Glibc.mount(source, target, type, flags, $0) }
        } else {
            rc = Glibc.mount(source, target, type, flags, nil)
        }
        guard rc == 0 else { throw .sys("mount \(describe)") }
    }

    /// Binds `source` (a path or a /proc/self/fd path) onto the mount target fd.
    static func bind(_ source: String, onto fd: Int32, recursive: Bool, describe: String) throws(RuntimeError) {
        let flags = UInt(MS_BIND) | (recursive ? UInt(MS_REC) : 0)
        try mount(source, on: RootDirectory.procPath(fd), type: nil, flags: flags, describe: describe)
    }

    /// Sets mount attributes on the mount at `fd` (which must be opened after mounting, so it
    /// refers to the new mount's root) and, when `recursive`, on every mount below it.
    static func setAttributes(fd: Int32, readOnly: Bool, flags: UInt, recursive: Bool,
                              describe: String) throws(RuntimeError) {
        var set: UInt64 = readOnly ? berth_MOUNT_ATTR_RDONLY : 0
        if flags & UInt(MS_NOSUID) != 0 { set |= berth_MOUNT_ATTR_NOSUID }
        if flags & UInt(MS_NODEV) != 0 { set |= berth_MOUNT_ATTR_NODEV }
        if flags & UInt(MS_NOEXEC) != 0 { set |= berth_MOUNT_ATTR_NOEXEC }
        guard set != 0 else { return }
        guard berth_mount_setattr(fd, recursive ? 1 : 0, set, 0, 0) == 0 else {
            throw .sys("set mount attributes on \(describe)")
        }
    }

    /// Changes propagation of the mount at `target`.
    static func propagate(_ target: String, _ flags: UInt, describe: String) throws(RuntimeError) {
        try mount(nil, on: target, type: nil, flags: flags, describe: "propagation of \(describe)")
    }
}
