import BerthArchive
import CBerthSys
import Glibc

/// The merged view of overlay-form directories (a container's upper dir and its image's
/// layers, top-most first), read without mounting anything: the top-most entry for a name
/// wins, a whiteout (a 0/0 character device) hides the name in the layers below, and an opaque
/// directory (`trusted.overlay.opaque=y`) hides the directories below it.
///
/// Every entry is opened relative to a directory fd with O_NOFOLLOW, and the symlinks on a
/// path are resolved by the view itself, inside the merged tree (an absolute target starts
/// again at its root, `..` stops there), as the container would see them. So nothing outside
/// the layers is ever read, whatever the image's links say.
final class LayerView {
    /// One directory of the view: the directories that merge into it, top-most first. Whoever
    /// looked it up owns the fds and closes them.
    struct Directory {
        var fds: [Int32]
        func close() { for fd in fds { Glibc.close(fd) } }
    }

    /// What a name is in the view.
    enum Entry {
        case directory(Directory)
        /// A file, symlink, device or fifo: the directory fd it is in (borrowed), its name, its stat.
        case other(parentFD: Int32, name: String, stat: stat)
    }

    /// The root, owned by the view.
    let root: Directory

    /// Opens the layers, top-most first; a missing one is skipped (an upper dir not made yet).
    init(layers: [String]) throws(EngineError) {
        var fds: [Int32] = []
        for path in layers {
            let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if fd < 0 {
                if errno == ENOENT { continue }
                let e = Self.error("open layer \(path)")
                for f in fds { close(f) }
                throw e
            }
            fds.append(fd)
            if Self.isOpaque(fd, ".") { break }
        }
        root = Directory(fds: fds)
    }

    deinit { root.close() }

    /// The directory at `path` (symlinks followed within the view), or nil when the image has
    /// none there. The caller closes it.
    func directory(at path: String) throws(EngineError) -> Directory? {
        var stack: [Directory] = []
        defer { for d in stack { d.close() } }
        var pending = Array(path.split(separator: "/").map(String.init).reversed())
        var followed = 0
        while let name = pending.popLast() {
            if name == "." { continue }
            if name == ".." {
                stack.popLast()?.close()
                continue
            }
            guard let entry = try lookup(name, in: stack.last ?? root) else { return nil }
            switch entry {
            case .directory(let d):
                stack.append(d)
            case .other(let parentFD, let n, let st):
                guard st.st_mode & S_IFMT == S_IFLNK else { return nil }
                followed += 1
                guard followed <= 40 else {
                    throw EngineError(.invalid, "too many levels of symbolic links resolving \(path) in the image")
                }
                let target = try Self.readLink(parentFD, n)
                if target.hasPrefix("/") {
                    for d in stack { d.close() }
                    stack.removeAll()
                }
                pending.append(contentsOf: target.split(separator: "/").map(String.init).reversed())
            }
        }
        var copy: [Int32] = []
        for fd in (stack.last ?? root).fds {
            let d = fcntl(fd, F_DUPFD_CLOEXEC, 0)
            guard d >= 0 else {
                let e = Self.error("dup")
                for c in copy { close(c) }
                throw e
            }
            copy.append(d)
        }
        return Directory(fds: copy)
    }

    /// `name` in `dir`, or nil when no layer has it or a whiteout hides it.
    func lookup(_ name: String, in dir: Directory) throws(EngineError) -> Entry? {
        var found: [Int32] = []
        for fd in dir.fds {
            var st = stat()
            if fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 {
                if errno == ENOENT { continue }
                let e = Self.error("stat \(name)")
                for f in found { close(f) }
                throw e
            }
            let kind = st.st_mode & S_IFMT
            if kind == S_IFCHR && st.st_rdev == 0 { break }
            if kind != S_IFDIR {
                if found.isEmpty { return .other(parentFD: fd, name: name, stat: st) }
                break
            }
            let child = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard child >= 0 else {
                let e = Self.error("open \(name)")
                for f in found { close(f) }
                throw e
            }
            found.append(child)
            if Self.isOpaque(child, ".") { break }
        }
        return found.isEmpty ? nil : .directory(Directory(fds: found))
    }

    /// The names in any layer of `dir`, sorted; some may be whiteouts (`lookup` hides them).
    func names(in dir: Directory) throws(EngineError) -> [String] {
        var names = Set<String>()
        for fd in dir.fds {
            let own = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard own >= 0, let stream = fdopendir(own) else {
                if own >= 0 { close(own) }
                throw Self.error("read directory")
            }
            defer { closedir(stream) }
            while let ent = readdir(stream) {
                let name = withUnsafePointer(to: ent.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
                if name != "." && name != ".." { names.insert(name) }
            }
        }
        return names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    static func readLink(_ dirFD: Int32, _ name: String) throws(EngineError) -> String {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlinkat(dirFD, name, &buf, Int(PATH_MAX))
        guard n >= 0 else { throw error("readlink \(name)") }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func isOpaque(_ dirFD: Int32, _ name: String) -> Bool {
        var v: [UInt8] = [0, 0]
        return berth_lgetxattrat(dirFD, name, LayerExtractor.opaqueXattr, &v, 2) == 1 && v[0] == UInt8(ascii: "y")
    }

    static func error(_ what: String) -> EngineError {
        EngineError(.internalError, "reading the image's layers: \(what): \(String(cString: strerror(errno)))")
    }
}
