/// Where the init finds what it mounts. Normally the spec's host paths; in a user namespace,
/// paths relative to the shim's staging directory (the init's working directory), because the
/// host directories above them are closed to the container's root (see `UserNamespaceStaging`).
struct RootfsPaths: Equatable {
    /// The directory to chdir into before mounting the overlay (nil: stay where we are).
    var layersDir: String?
    var lowerDirs: [String]
    var upperDir: String
    var workDir: String
    var mountPoint: String
    var etcHosts: String?
    var etcHostname: String?
    var etcResolvConf: String?
    /// The source of each of `spec.mounts`, by index.
    var mountSources: [String]

    /// The spec's own paths.
    init(host spec: ContainerSpec) {
        layersDir = spec.rootfs.layersDir
        lowerDirs = spec.rootfs.lowerDirs
        upperDir = spec.rootfs.upperDir
        workDir = spec.rootfs.workDir
        mountPoint = spec.rootfs.mountPoint
        etcHosts = spec.etcHosts
        etcHostname = spec.etcHostname
        etcResolvConf = spec.etcResolvConf
        mountSources = spec.mounts.map(\.source)
    }
}
