import BerthRuntime
import Foundation

extension Engine {
    /// Runs `body` with the container's filesystem open (see `ContainerFilesystem`), holding
    /// the container's filesystem lock so it cannot start meanwhile.
    func withFilesystem<T: Sendable>(_ r: ContainerRecord, _ body: @escaping @Sendable (ContainerFilesystem) async throws -> T) async throws -> T {
        try await filesystemLocks.withLock(r.id) {
            let fs = try await self.openFilesystem(r)
            do {
                let value = try await body(fs)
                try await Blocking.run { fs.close() }
                return value
            } catch {
                _ = try? await Blocking.run { fs.close() }
                throw error
            }
        }
    }

    private func openFilesystem(_ r: ContainerRecord) async throws -> ContainerFilesystem {
        if await events.isRunning(r.id) {
            // Its overlay is mounted inside its user namespace: from berthd every id would read
            // shifted and nothing could be created. A stopped one is mounted here unshifted.
            if remapsUsers(r) {
                throw EngineError(.conflict, "copying to or from running container \(r.name) is not supported under --userns-remap yet; stop it first, or use berth exec with tar")
            }
            let s = state(r.id)
            if s.pid > 0, let fs = ContainerFilesystem.running(pid: s.pid, shimPid: s.shimPid) { return fs }
            if await events.isRunning(r.id) {
                throw EngineError(.conflict, "container \(r.name) is stopping; try again once it has stopped")
            }
        }
        let spec = try await viewSpec(r)
        let shim = shimExecutable
        let log = "\(containers.bundle(r.id))/shim.log"
        return try await Blocking.run { try ContainerFilesystem.stopped(spec: spec, shim: shim, log: log) }
    }

    /// What the view process mounts for a stopped container: its overlay, binds, volumes,
    /// tmpfs, and the /etc files of its last run.
    private func viewSpec(_ r: ContainerRecord) async throws -> ContainerSpec {
        let bundle = containers.bundle(r.id)
        let process = ProcessSpec(args: [], env: [], cwd: "/", user: "", capabilities: [])
        var spec = ContainerSpec(id: r.id, rootfs: try await rootfsSpec(r, bundle: bundle), process: process,
                                 hostname: "", log: .init(path: "/dev/null"))
        spec.mounts = try await mounts(r)
        func existing(_ name: String) -> String? {
            FileManager.default.fileExists(atPath: "\(bundle)/\(name)") ? "\(bundle)/\(name)" : nil
        }
        spec.etcHosts = existing("hosts")
        spec.etcHostname = existing("hostname")
        spec.etcResolvConf = existing("resolv.conf")
        return spec
    }
}
