import BerthArchive
import Glibc

/// One line of `docker diff`: a path the container added, changed or deleted.
public struct FilesystemChange: Sendable, Equatable {
    /// Docker's numbering (`Kind` in the API).
    public enum Kind: Int, Sendable {
        case modified = 0, added = 1, deleted = 2
        /// `C`, `A`, `D`.
        public var letter: String { ["C", "A", "D"][rawValue] }
    }

    public var path: String
    public var kind: Kind

    public init(path: String, kind: Kind) {
        self.path = path
        self.kind = kind
    }
}

/// moby's overlay changes: a walk of the container's upper dir in name order, compared with
/// the image's layers beneath it (read merged through `LayerView`, without mounting).
///
/// - a whiteout (0/0 character device) is a deletion; so is an opaque directory that hid one
///   of the image's (then its content is new);
/// - anything else is an addition, or a change when the image has that path — except a
///   directory whose size, mode and mtime are unchanged, which overlay merely copied up;
/// - the parent of an addition or deletion is listed as changed (once, before it), unless it
///   is `/` or already listed;
/// - what Docker keeps in a container's init layer (the mount points berth-shim makes: /proc,
///   /sys, /dev, /etc/hosts, …) is not the container's change, nor is the new mtime of the
///   directory that got them.
struct ChangeScanner {
    /// Docker's init layer (moby `initlayer.Setup`), with the directories it creates.
    static let initLayer: Set<String> = [
        "/dev", "/dev/pts", "/dev/shm", "/dev/console", "/proc", "/sys", "/.dockerenv", "/etc",
        "/etc/resolv.conf", "/etc/hosts", "/etc/hostname", "/etc/mtab",
    ]

    let lower: LayerView
    private(set) var changes: [FilesystemChange] = []
    private var changedDirs = Set<String>()

    /// The changes of `upper` over `layers` (top-most first).
    static func scan(upper: String, layers: [String]) throws(EngineError) -> [FilesystemChange] {
        let top = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard top >= 0 else { throw LayerView.error("open \(upper)") }
        defer { close(top) }
        var scanner = ChangeScanner(lower: try LayerView(layers: layers))
        try scanner.walk(top, path: "", lower: scanner.lower.root)
        return scanner.changes
    }

    private mutating func walk(_ dirFD: Int32, path: String, lower: LayerView.Directory?) throws(EngineError) {
        for name in try names(dirFD) {
            let childPath = path + "/" + name
            var st = stat()
            guard fstatat(dirFD, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            let isDirectory = st.st_mode & S_IFMT == S_IFDIR
            var below: LayerView.Entry?
            if let lower { below = try self.lower.lookup(name, in: lower) }
            var belowDirectory: LayerView.Directory?
            if case .directory(let d) = below { belowDirectory = d }
            defer { belowDirectory?.close() }

            if below == nil && Self.isInitStub(childPath, st) {
                if isDirectory { try walkChildren(dirFD, name, childPath, lower: nil, opaque: false) }
                continue
            }
            var kind: FilesystemChange.Kind?
            var opaque = false
            if st.st_mode & S_IFMT == S_IFCHR && st.st_rdev == 0 {
                kind = .deleted
            } else if isDirectory && LayerView.isOpaque(dirFD, name) {
                opaque = true
                if below != nil { kind = .deleted }
            }
            if kind == nil {
                if below == nil {
                    kind = .added
                } else if let d = belowDirectory, isDirectory, let top = d.fds.first,
                          Self.sameDirectory(st, top, ignoringTime: Self.holdsInitStubs(dirFD, name, childPath)) {
                    kind = nil
                } else {
                    kind = .modified
                }
            }
            if let kind {
                // Only a directory that is itself listed counts as listed (Docker's changedDirs).
                if isDirectory { changedDirs.insert(childPath) }
                if kind != .modified {
                    let parent = path.isEmpty ? "/" : path
                    if parent != "/", changedDirs.insert(parent).inserted {
                        changes.append(FilesystemChange(path: parent, kind: .modified))
                    }
                }
                changes.append(FilesystemChange(path: childPath, kind: kind))
            }
            guard isDirectory else { continue }
            try walkChildren(dirFD, name, childPath, lower: belowDirectory, opaque: opaque)
        }
    }

    private mutating func walkChildren(_ dirFD: Int32, _ name: String, _ path: String, lower: LayerView.Directory?,
                                       opaque: Bool) throws(EngineError) {
        let child = openat(dirFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard child >= 0 else { return }
        defer { close(child) }
        // An opaque directory hides everything beneath it in the image.
        try walk(child, path: path, lower: opaque ? nil : lower)
    }

    /// Whether the directory `name` of `dirFD` holds init-layer stubs, whose making changed its
    /// mtime (Docker makes them in a layer of their own, below the container's).
    static func holdsInitStubs(_ dirFD: Int32, _ name: String, _ path: String) -> Bool {
        let stubs = initLayer.filter { CopyPath.dir($0) == path }
        return stubs.contains { stub in
            var st = stat()
            return fstatat(dirFD, "\(name)/\(CopyPath.base(stub))", &st, AT_SYMLINK_NOFOLLOW) == 0 && isInitStub(stub, st)
        }
    }

    /// An init-layer path as berth-shim leaves it: a directory, an empty file, or a link.
    static func isInitStub(_ path: String, _ st: stat) -> Bool {
        guard initLayer.contains(path) else { return false }
        switch st.st_mode & S_IFMT {
        case S_IFDIR, S_IFLNK: return true
        case S_IFREG: return st.st_size == 0
        default: return false
        }
    }

    private func names(_ dirFD: Int32) throws(EngineError) -> [String] {
        try lower.names(in: LayerView.Directory(fds: [dirFD]))
    }

    /// Docker's test for a directory overlay only copied up: same size, mode and mtime (to
    /// the second when either side has no nanoseconds).
    static func sameDirectory(_ upper: stat, _ lowerFD: Int32, ignoringTime: Bool = false) -> Bool {
        var st = stat()
        guard fstat(lowerFD, &st) == 0 else { return false }
        let a = upper.st_mtim, b = st.st_mtim
        let sameTime = (a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec) || (a.tv_sec == b.tv_sec && (a.tv_nsec == 0 || b.tv_nsec == 0))
        return upper.st_size == st.st_size && upper.st_mode == st.st_mode && (sameTime || ignoringTime)
    }
}
