import CBerthSys
import Glibc

/// The container's first process between clone(2) and execve(2): PID 1 of the new pid
/// namespace, alone in its new mount namespace. Runs only the shim's own code until execve;
/// reports a failure through the CLOEXEC error pipe and exits with Docker's code.
struct ContainerInit {
    let spec: ContainerSpec
    let seccomp: SeccompFilter.Prepared?
    /// Where to mount from (nil: the spec's host paths; staged paths in a user namespace).
    var paths: RootfsPaths?
    /// Slots after `ChildDescriptors.arrange`.
    static let errorSlot: Int32 = 3, syncSlot: Int32 = 4, consoleSlot: Int32 = 5, netnsSlot: Int32 = 6

    /// `fds`: stdin, stdout, stderr, error pipe, sync pipe, console socket (or -1), netns (or -1).
    func run(fds: [Int32]) -> Never {
        berth_reset_signals()
        let slots = ChildDescriptors.arrange(fds)
        let errorPipe = Self.errorSlot
        for slot in Self.errorSlot...Self.netnsSlot where slots[Int(slot)] >= 0 { _ = berth_set_cloexec(slot, 1) }
        ChildDescriptors.awaitGoAhead(Self.syncSlot)
        do {
            try setUp(console: slots[Int(Self.consoleSlot)], netns: slots[Int(Self.netnsSlot)])
            try ProcessLaunch(process: spec.process, tinyInit: spec.initProcess, seccomp: seccomp).exec()
        } catch let failure as StartFailure {
            ChildDescriptors.fail(failure, errorPipe: errorPipe)
        } catch let error as RuntimeError {
            ChildDescriptors.fail(StartFailure(error), errorPipe: errorPipe)
        } catch {
            ChildDescriptors.fail(StartFailure(exitCode: 125, message: "\(error)"), errorPipe: errorPipe)
        }
    }

    private func setUp(console: Int32, netns: Int32) throws(RuntimeError) {
        umask(0)
        if spec.userNamespace != nil {
            // Our ids are unmapped until we take the namespace's root, and files we create
            // (the mount point, /dev nodes) need a mapped owner.
            guard berth_setresgid(0, 0, 0) == 0, berth_setresuid(0, 0, 0) == 0 else {
                throw .sys("become root of the user namespace")
            }
        }
        if netns >= 0 {
            guard berth_setns(netns, Namespace.net) == 0 else { throw .sys("join network namespace \(spec.namespaces.network)") }
            Descriptor.close(netns)
        }
        if Namespace.cloneFlags(spec) & Namespace.net != 0 {
            guard berth_loopback_up() == 0 else { throw .sys("bring up the loopback interface") }
        }
        if spec.namespaces.network != "host" { Self.openLowPorts() }
        // After the parent has put us in our cgroup, so the namespace's root is that cgroup.
        guard berth_unshare(Namespace.cgroup) == 0 else { throw .sys("unshare the cgroup namespace") }
        guard setsid() >= 0 else { throw .sys("setsid") }

        let rootfs = RootfsSetup(spec: spec, paths: paths)
        if let pty = try rootfs.mountAll() {
            guard berth_send_fd(console, pty.master) == 0 else { throw .sys("send the console to the shim") }
            Descriptor.close(pty.master)
            Descriptor.close(console)
            try ChildDescriptors.adoptTerminal(pty.slave)
        }
        try rootfs.pivot()
        if spec.namespaces.uts != "host" {
            guard sethostname(spec.hostname, spec.hostname.utf8.count) == 0 else { throw .sys("sethostname") }
            if !spec.domainname.isEmpty {
                guard berth_setdomainname(spec.domainname, spec.domainname.utf8.count) == 0 else {
                    throw .sys("setdomainname")
                }
            }
        }
        try rootfs.harden()
    }
}

extension ContainerInit {
    /// As Docker (20.10+) does for a container with its own network namespace: any user may
    /// bind ports below 1024 there, so a non-root web server (or a remapped root, which holds
    /// no capability over a namespace berthd made) can listen on 80. Written by whoever is
    /// still privileged over the namespace; a kernel without the setting is left as it is.
    static func openLowPorts() {
        let fd = open("/proc/sys/net/ipv4/ip_unprivileged_port_start", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = write(fd, "0", 1)
        close(fd)
    }
}

/// clone(2)/setns(2) namespace flags (Linux ABI values).
enum Namespace {
    static let mount: Int32 = 0x0002_0000
    static let cgroup: Int32 = 0x0200_0000
    static let uts: Int32 = 0x0400_0000
    static let ipc: Int32 = 0x0800_0000
    static let pid: Int32 = 0x2000_0000
    static let net: Int32 = 0x4000_0000
    static let user: Int32 = 0x1000_0000

    /// The clone flags for a container's init per the spec (cgroup is unshared later). The user
    /// namespace comes with the others in one clone, so it owns them.
    static func cloneFlags(_ spec: ContainerSpec) -> Int32 {
        let ns = spec.namespaces
        var flags = mount
        if spec.userNamespace != nil { flags |= user }
        if ns.pid != "host" { flags |= pid }
        if ns.uts != "host" { flags |= uts }
        if ns.ipc != "host" { flags |= ipc }
        if ns.network != "host" && !ns.network.hasPrefix("/") { flags |= net }
        return flags
    }
}
