import CBerthSys
import Glibc

/// The identity and privileges a container process ends up with, applied in the order runc
/// uses: bounding set first, then groups and ids (keeping capabilities across setuid), then
/// capset. (no_new_privs is set earlier, by `ProcessLaunch`.)
struct ProcessCredentials {
    var user: ExecUser
    var capabilities: CapabilitySet

    /// Irreversible: after this the process has only the requested privileges.
    ///
    /// Docker's inheritable set is empty (CVE-2022-24769) and so is the ambient set, so a
    /// non-root user's permitted and effective sets are cleared by the kernel at execve.
    func apply() throws(RuntimeError) {
        var effective: UInt64 = 0, permitted: UInt64 = 0, inheritable: UInt64 = 0
        guard berth_capget(&effective, &permitted, &inheritable) == 0 else { throw .sys("capget") }
        // We cannot grant what we lack (this host's bounding set may be smaller than "all").
        let keep = capabilities.mask & permitted
        guard berth_set_keepcaps(1) == 0 else { throw .sys("prctl(PR_SET_KEEPCAPS)") }
        let last = Int(berth_cap_last())
        for cap in 0...last where keep & (1 << UInt64(cap)) == 0 {
            guard berth_capbset_drop(Int32(cap)) == 0 else {
                throw .sys("drop capability \(cap) from the bounding set")
            }
        }
        let groups = user.supplementaryGroups.map { gid_t($0) }
        guard setgroups(groups.count, groups) == 0 else { throw .sys("setgroups") }
        guard berth_setresgid(gid_t(user.gid), gid_t(user.gid), gid_t(user.gid)) == 0 else {
            throw .sys("setresgid(\(user.gid))")
        }
        guard berth_setresuid(uid_t(user.uid), uid_t(user.uid), uid_t(user.uid)) == 0 else {
            throw .sys("setresuid(\(user.uid))")
        }
        guard berth_capset(keep, keep, 0) == 0 else { throw .sys("capset") }
        guard berth_set_keepcaps(0) == 0 else { throw .sys("prctl(PR_SET_KEEPCAPS)") }
    }
}
