/// The seccomp filter berth-shim installs in the container process right before execve.
///
/// Order berth-shim must follow in the container's init (and in every exec'd process), the
/// same as runc's `standard_init_linux.go`:
/// 1. `prepare(_:capabilities:)` early, while host paths are visible (`.profile(path)` is read
///    from the host) and before forking if possible: it reads and resolves the profile and
///    builds the libseccomp filter in memory, without touching the kernel.
/// 2. Join/create namespaces, mounts, pivot_root, hostname, rlimits: none of it under the filter
///    (the default profile refuses setns, mount, unshare, sethostname without CAP_SYS_ADMIN).
/// 3. If `process.noNewPrivileges`: `prctl(PR_SET_NO_NEW_PRIVS, 1)`.
/// 4. Without no_new_privs: `load()` now, *before* dropping capabilities and changing user. The
///    kernel lets a process without no_new_privs load a filter only while it has CAP_SYS_ADMIN
///    (otherwise `.loadFailed(EACCES)`). The rest then runs under the filter: PR_CAPBSET_DROP,
///    PR_SET_KEEPCAPS, setgroups/setresgid/setresuid, capset, chdir, marking fds close-on-exec,
///    the ready message on the sync pipe. Docker's default profile allows all of these; a
///    custom profile that forbids them makes the container fail to start, as with runc.
/// 5. Drop capabilities and switch user.
/// 6. With no_new_privs: `load()` now, as late as possible, so few of the shim's own syscalls
///    run under the container's filter.
/// 7. Close the remaining fds, execve. The filter is inherited across execve and fork.
///
/// The filter never sets no_new_privs itself (`SCMP_FLTATR_CTL_NNP` is 0), so setuid binaries
/// in the container keep working unless the container asked for no_new_privs. It applies to the
/// calling thread only: the process must be single-threaded when it loads (true after fork).
public enum SeccompFilter {
    /// Installs the filter for `setting` in the calling (single-threaded, about-to-exec) process.
    /// `.default` is Docker's default profile; syscalls it gates on capabilities are allowed when
    /// `capabilities` (CAP_* names, the set the process keeps) contains them. `.profile(path)`
    /// reads a Docker-format JSON profile. `.unconfined` installs nothing.
    ///
    /// Unless no_new_privs is already set, the caller must still hold CAP_SYS_ADMIN (load
    /// before dropping capabilities); otherwise this throws `.loadFailed(errno: EACCES)`.
    public static func install(_ setting: ContainerSpec.Seccomp, capabilities: [String]) throws(SeccompError) {
        guard let filter = try prepare(setting, capabilities: capabilities) else { return }
        try filter.load()
    }

    /// Resolves `setting` for this machine and `capabilities` and builds the filter without
    /// loading it. nil for `.unconfined` (and for a profile with no default action and no rules,
    /// which Docker treats as "no seccomp").
    public static func prepare(_ setting: ContainerSpec.Seccomp, capabilities: [String]) throws(SeccompError) -> Prepared? {
        let environment = SeccompEnvironment.current(capabilities: capabilities)
        guard let ruleSet = try ruleSet(for: setting, environment: environment) else { return nil }
        return try Prepared(ruleSet, source: source(of: setting))
    }

    /// The rules `setting` stands for in `environment`, computed without libseccomp: nil for
    /// `.unconfined`. Reads the file of `.profile(path)`.
    public static func ruleSet(for setting: ContainerSpec.Seccomp, environment: SeccompEnvironment) throws(SeccompError) -> SeccompRuleSet? {
        switch setting {
        case .unconfined:
            return nil
        case .default:
            return try SeccompProfile.dockerDefault.resolve(for: environment, source: SeccompProfile.defaultSource)
        case let .profile(path):
            return try SeccompProfile.load(path: path).resolve(for: environment, source: path)
        }
    }

    static func source(of setting: ContainerSpec.Seccomp) -> String {
        switch setting {
        case .unconfined, .default: return SeccompProfile.defaultSource
        case let .profile(path): return path
        }
    }
}
