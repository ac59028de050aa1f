import Glibc

/// Docker's mount option words (`ro`, `nosuid`, `rprivate`, `size=64m`, …) as mount(2) flags,
/// filesystem data, and the follow-up steps (read-only remount, propagation).
struct MountOptions: Equatable {
    /// Flags for the initial mount(2).
    var flags: UInt = 0
    /// Comma-joined filesystem data (tmpfs `size=`, `mode=`, …).
    var data: [String] = []
    var readOnly = false
    /// A bind covers the mounts under its source too (`rbind`, Docker's default).
    var recursive = true
    /// MS_PRIVATE, MS_SLAVE or MS_SHARED, possibly with MS_REC.
    var propagation: UInt?
    /// Mounted through the container's user namespace id maps.
    var idmapped = false

    init(_ options: [String]) {
        for option in options {
            switch option {
            case "ro": readOnly = true
            case "rw": readOnly = false
            case "nosuid": flags |= UInt(MS_NOSUID)
            case "nodev": flags |= UInt(MS_NODEV)
            case "noexec": flags |= UInt(MS_NOEXEC)
            case "suid": flags &= ~UInt(MS_NOSUID)
            case "dev": flags &= ~UInt(MS_NODEV)
            case "exec": flags &= ~UInt(MS_NOEXEC)
            case "bind": recursive = false
            case "rbind": recursive = true
            case "private": propagation = UInt(MS_PRIVATE)
            case "rprivate": propagation = UInt(MS_PRIVATE | MS_REC)
            case "slave": propagation = UInt(MS_SLAVE)
            case "rslave": propagation = UInt(MS_SLAVE | MS_REC)
            case "shared": propagation = UInt(MS_SHARED)
            case "rshared": propagation = UInt(MS_SHARED | MS_REC)
            case "idmap": idmapped = true
            case "z", "Z", "nocopy", "volume-nocopy", "tmpcopyup", "": continue
            default:
                if option.contains("=") { data.append(option) }
            }
        }
    }

    /// The mount(2) data string, nil when empty.
    var dataString: String? { data.isEmpty ? nil : data.joined(separator: ",") }
}
