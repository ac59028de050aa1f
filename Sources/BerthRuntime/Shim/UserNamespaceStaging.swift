import CBerthSys
import Glibc

/// What a container in a user namespace mounts, staged by the shim before clone.
///
/// The init starts in its new user namespace (which then owns its mount, pid, uts and ipc
/// namespaces, so /proc, devpts and the overlay mount there as in runc), but as the container's
/// root it can neither traverse the host directories above the data root nor see the layers'
/// real owners. So the shim, in a private mount namespace of its own, attaches under one tmpfs:
/// every layer and the container directory as idmapped mounts (the files' on-disk ids are the
/// ids the container sees), and every bind source (idmapped for volumes). The init inherits
/// that tree with its mount namespace and reaches it through its working directory, so every
/// path it mounts from is relative (`RootfsPaths`).
struct UserNamespaceStaging {
    /// Paths for `RootfsSetup`, relative to `directory`.
    let paths: RootfsPaths
    let directory: String
    /// The maps as `/proc/PID/uid_map` and `gid_map` text.
    let uidMap: String
    let gidMap: String

    init(_ spec: ContainerSpec, userNamespace ns: ContainerSpec.UserNamespace) throws(RuntimeError) {
        let directory = ns.stagingDir
        self.directory = directory
        uidMap = ContainerSpec.IDMap.procText(ns.uidMap)
        gidMap = ContainerSpec.IDMap.procText(ns.gidMap)
        // Our own mount namespace: nothing attached here is seen by the host, and it all goes
        // away with the shim.
        guard berth_unshare(Namespace.mount) == 0 else { throw .sys("unshare the shim's mount namespace") }
        try Mounter.propagate("/", UInt(MS_REC | MS_SLAVE), describe: "/")
        let mapping = berth_userns_fd(uidMap, gidMap)
        guard mapping >= 0 else {
            throw .sys("create a user namespace with maps \(ContainerSpec.IDMap.procText(ns.uidMap).split(separator: "\n").joined(separator: ", "))")
        }
        defer { Descriptor.close(mapping) }
        mkdir(directory, 0o700)
        try Mounter.mount("tmpfs", on: directory, type: "tmpfs", flags: UInt(MS_NOSUID | MS_NODEV),
                          data: "mode=755,size=64k", describe: "the user namespace staging tmpfs on \(directory)")

        var staged = RootfsPaths(host: spec)
        staged.layersDir = nil
        staged.lowerDirs = try spec.rootfs.lowerDirs.indices.map { i throws(RuntimeError) in
            try Self.attach("\(spec.rootfs.layersDir)/\(spec.rootfs.lowerDirs[i])", as: "l\(i)", in: directory,
                            idmap: mapping, recursive: false)
        }
        // The upper and work dirs must share a mount for overlayfs: stage their common directory.
        let containerDir = Self.parent(spec.rootfs.upperDir)
        let stagedDir = try Self.attach(containerDir, as: "c", in: directory, idmap: mapping, recursive: false)
        func inContainerDir(_ path: String) throws(RuntimeError) -> String {
            guard Self.parent(path) == containerDir else {
                throw RuntimeError(.invalidArgument, "\(path) is not in the container's directory \(containerDir)")
            }
            return stagedDir + "/" + String(path.split(separator: "/").last ?? "")
        }
        staged.upperDir = try inContainerDir(spec.rootfs.upperDir)
        staged.workDir = try inContainerDir(spec.rootfs.workDir)
        staged.mountPoint = try inContainerDir(spec.rootfs.mountPoint)
        staged.etcHosts = try spec.etcHosts.map { path throws(RuntimeError) in try inContainerDir(path) }
        staged.etcHostname = try spec.etcHostname.map { path throws(RuntimeError) in try inContainerDir(path) }
        staged.etcResolvConf = try spec.etcResolvConf.map { path throws(RuntimeError) in try inContainerDir(path) }
        for (i, mount) in spec.mounts.enumerated() where mount.type == "bind" {
            let options = MountOptions(mount.options)
            staged.mountSources[i] = try Self.attach(mount.source, as: "m\(i)", in: directory,
                                                    idmap: options.idmapped ? mapping : -1,
                                                    recursive: options.recursive)
        }
        self.paths = staged
    }

    /// The init's working directory at clone: every staged path is relative to it.
    func enter() throws(RuntimeError) {
        guard chdir(directory) == 0 else { throw .sys("chdir \(directory)") }
    }

    /// After clone the init has its own copy of the staging tree: drop the shim's.
    func leave() {
        _ = chdir("/")
        _ = umount2(directory, Int32(MNT_DETACH))
    }

    /// Clones the mount tree at `source` (idmapped through `idmap` unless -1) and attaches it at
    /// `name` in the staging directory, created as a directory or a file to match.
    private static func attach(_ source: String, as name: String, in directory: String, idmap: Int32,
                               recursive: Bool) throws(RuntimeError) -> String {
        var st = stat()
        guard stat(source, &st) == 0 else { throw .sys("bind source path \(source)") }
        let target = "\(directory)/\(name)"
        if st.st_mode & S_IFMT == S_IFDIR {
            guard mkdir(target, 0o755) == 0 else { throw .sys("mkdir \(target)") }
        } else {
            let fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw .sys("create \(target)") }
            Descriptor.close(fd)
        }
        let tree = berth_clone_tree(source, recursive ? 1 : 0, idmap)
        guard tree >= 0 else {
            let what = idmap >= 0 ? "an idmapped mount of \(source) (its filesystem must support idmapped mounts)" : "a mount of \(source)"
            throw .sys("create \(what)")
        }
        defer { Descriptor.close(tree) }
        guard berth_attach_tree(tree, target) == 0 else { throw .sys("attach \(source) at \(target)") }
        return name
    }

    private static func parent(_ path: String) -> String {
        var parts = path.split(separator: "/", omittingEmptySubsequences: true)
        parts.removeLast()
        return "/" + parts.joined(separator: "/")
    }
}
