import BerthArchive
import BerthRuntime
import CBerthSys
import Foundation
import Glibc

extension Engine {
    /// `HEAD /containers/{id}/archive?path=`: what is at `path` in the container.
    public func statPath(_ ref: String, path: String) async throws -> PathStat {
        let r = try await containers.find(ref)
        return try await withFilesystem(r) { fs in
            try await Blocking.run { () throws -> PathStat in
                let (stat, fd) = try Self.statInContainer(fs, path: path, ref: ref)
                close(fd)
                return stat
            }
        }
    }

    /// `GET /containers/{id}/archive?path=`: `body` gets the path's stat and a function that
    /// writes its tar to a file descriptor (Docker's naming: the entries start with the last
    /// element of `path`; a directory given as `dir/.` starts with `.`). The filesystem stays
    /// open until `body` returns.
    public func archivePath(_ ref: String, path: String,
                            _ body: @escaping @Sendable (PathStat, _ write: @escaping @Sendable (Int32) throws -> Void) async throws -> Void) async throws {
        let r = try await containers.find(ref)
        try await withFilesystem(r) { fs in
            let absPath = CopyPath.inContainer(path)
            let (stat, fd) = try await Blocking.run { try Self.statInContainer(fs, path: path, ref: ref) }
            let opened = OwnedFD(fd)
            defer { opened.close() }
            try await body(stat) { out in
                // A directory is archived from its own fd; anything else (a symlink included,
                // never followed) from its parent's.
                if stat.isDirectory {
                    _ = try CopyArchive.write(from: opened.fd, name: ".", as: Self.rootEntryName(absPath), to: out)
                } else {
                    let (dir, base) = (CopyPath.dir(absPath), CopyPath.base(absPath))
                    let parent = ContainerPath.open(fs.root, dir, follow: true)
                    guard parent >= 0 else { throw ContainerPath.error(errno, dir) }
                    defer { close(parent) }
                    _ = try CopyArchive.write(from: parent, name: base, as: base, to: out)
                }
            }
        }
    }

    /// Options of `PUT /containers/{id}/archive`.
    public struct ExtractOptions: Sendable {
        public var noOverwriteDirNonDir = false
        /// `copyUIDGID`: the files belong to the container's user instead of the archive's owners.
        public var copyUIDGID = false
        public init() {}
    }

    /// `PUT /containers/{id}/archive?path=`: extracts the tar at `tarPath` (plain or
    /// compressed) into the directory `path` of the container, running or not.
    public func extractToContainer(_ ref: String, path: String, tarPath: String, options: ExtractOptions) async throws {
        let r = try await containers.find(ref)
        let points = try mountPoints(of: r)
        try await withFilesystem(r) { fs in
            try await Blocking.run {
                let absPath = CopyPath.inContainer(path)
                // The destination is followed to the end, so a link to a directory works.
                let dir = ContainerPath.open(fs.root, absPath, follow: true)
                guard dir >= 0 else {
                    let e = errno
                    if e == ENOENT { throw EngineError(.notFound, "Could not find the file \(path) in container \(ref)") }
                    throw ContainerPath.error(e, absPath)
                }
                defer { close(dir) }
                var st = stat()
                guard fstat(dir, &st) == 0, st.st_mode & S_IFMT == S_IFDIR else {
                    throw EngineError(.invalid, "extraction point is not a directory")
                }
                if KernelFilesystem.holds(dir) {
                    throw EngineError(.notFound, "Could not find the file \(path) in container \(ref)")
                }
                let resolved = ContainerPath.resolve(fs.root, absPath)
                try Self.checkWritable(r, points: points, path: resolved)
                var copy = CopyArchive.Options()
                copy.noOverwriteDirNonDir = options.noOverwriteDirNonDir
                copy.destinationName = resolved
                if options.copyUIDGID, let user = r.config.User, !user.isEmpty {
                    copy.owner = try Self.containerUser(user, root: fs.root)
                }
                let tar = open(tarPath, O_RDONLY | O_CLOEXEC)
                guard tar >= 0 else { throw EngineError(.internalError, "cannot open \(tarPath): \(String(cString: strerror(errno)))") }
                defer { close(tar) }
                try CopyArchive.extract(from: tar, into: dir, options: copy)
            }
        }
    }

    /// Stats `path` of the container, with Docker's not-found message; the caller closes the fd.
    static func statInContainer(_ fs: ContainerFilesystem, path: String, ref: String) throws -> (PathStat, Int32) {
        let missing = EngineError(.notFound, "Could not find the file \(path) in container \(ref)")
        let found: (PathStat, fd: Int32)
        do {
            found = try ContainerPath.stat(fs.root, CopyPath.inContainer(path))
        } catch {
            throw error.kind == .notFound ? missing : error
        }
        if KernelFilesystem.holds(found.fd) {
            close(found.fd)
            throw missing
        }
        return (found.0, found.fd)
    }

    /// The owner `docker cp -a` gives files: the container's user, looked up in its own
    /// /etc/passwd and /etc/group.
    static func containerUser(_ user: String, root: Int32) throws -> Ownership {
        let resolved: ExecUser
        do {
            resolved = try ExecUser.resolve(user, passwd: ContainerPath.readFile(root, "/etc/passwd"),
                                            group: ContainerPath.readFile(root, "/etc/group"))
        } catch {
            throw EngineError(.invalid, "copyUIDGID: \(error)")
        }
        return .fixed(uid: resolved.uid, gid: resolved.gid)
    }

    /// The name a directory's entries start with: the last element of the path (`.` for
    /// `dir/.`); for `/` itself, none, so they read `/`, `/bin`, … as in Docker.
    static func rootEntryName(_ absPath: String) -> String {
        let base = CopyPath.base(absPath)
        return base == "/" ? "/" : base
    }

    /// Docker's refusals: a read-only volume or bind, or a read-only root filesystem.
    static func checkWritable(_ r: ContainerRecord, points: [MountPoint], path: String) throws(EngineError) {
        let covering = points.filter { path == $0.destination || path.hasPrefix($0.destination == "/" ? "/" : $0.destination + "/") }
            .max { $0.destination.count < $1.destination.count }
        if let covering {
            if covering.readOnly { throw EngineError(.invalid, "mounted volume is marked read-only") }
            return
        }
        if r.hostConfig.ReadonlyRootfs == true { throw EngineError(.invalid, "container rootfs is marked read-only") }
    }
}

/// An fd closed once, shareable with the closure that reads it.
final class OwnedFD: @unchecked Sendable {
    // Set once; closed by its owner after every reader is done.
    let fd: Int32
    init(_ fd: Int32) { self.fd = fd }
    func close() { Glibc.close(fd) }
}
