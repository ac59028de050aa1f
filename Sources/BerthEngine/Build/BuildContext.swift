import BerthArchive
import BerthStore
import Foundation
import Glibc

/// A build's context: the client's tar extracted into a private directory beneath the data
/// root. Every path a Dockerfile names is resolved inside it; nothing may leave it.
public struct BuildContext: Sendable {
    /// The extracted context (mode 0700 parent, so containers and other users cannot see it).
    public let root: String

    /// Extracts the tar (plain or compressed) read from `tarPath` into a new directory under `parent`.
    public static func extract(tarPath: String, under parent: String) throws -> BuildContext {
        try FileSystem.makeDirectory(parent, mode: 0o700)
        let root = "\(parent)/\(UUID().uuidString)"
        try FileSystem.makeDirectory(root, mode: 0o755)
        let fd = open(tarPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw EngineError(.internalError, "cannot open the build context: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let dir = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dir >= 0 else { throw EngineError(.internalError, "cannot open \(root): \(String(cString: strerror(errno)))") }
        defer { close(dir) }
        var options = CopyArchive.Options()
        options.destinationName = "the build context"
        var st = stat()
        if fstat(fd, &st) == 0, st.st_size > 0 {
            do { try CopyArchive.extract(from: fd, into: dir, options: options) } catch {
                FileSystem.removeTree(root)
                throw EngineError(.invalid, "the build context is not a valid tar archive: \(error.message)")
            }
        }
        return BuildContext(root: root)
    }

    /// Deletes the extracted files.
    public func remove() { FileSystem.removeTree(root) }

    /// Reads a file of the context (the Dockerfile, .dockerignore); nil when absent.
    public func read(_ relative: String) throws -> String? {
        let path = try resolve(relative, instruction: "Dockerfile")
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// `relative` (as a Dockerfile names it) cleaned against the context root: a path that
    /// climbs out with `..` is refused, as is a symlink that resolves outside the context.
    /// Returns the host path; symlinks inside the context are followed.
    public func resolve(_ relative: String, instruction: String) throws -> String {
        let cleaned = Self.clean(relative)
        guard let cleaned else {
            throw EngineError(.invalid, "\(instruction) \(relative): forbidden path outside the build context; only files under the context directory can be used")
        }
        let host = cleaned.isEmpty ? root : "\(root)/\(cleaned)"
        guard let real = Self.realPath(host) else { return host }   // absent: the caller reports it
        let realRoot = Self.realPath(root) ?? root
        guard real == realRoot || real.hasPrefix(realRoot + "/") else {
            throw EngineError(.invalid, "\(instruction) \(relative): forbidden path outside the build context (a symlink points to \(real)); copy the file into the context instead")
        }
        return real
    }

    /// Lexically cleans a context-relative path ("./a/../b/" → "b", "/" → ""); nil when it climbs above the root.
    static func clean(_ path: String) -> String? {
        var parts: [Substring] = []
        for p in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch p {
            case ".": continue
            case "..":
                guard !parts.isEmpty else { return nil }
                parts.removeLast()
            default: parts.append(p)
            }
        }
        return parts.joined(separator: "/")
    }

    static func realPath(_ path: String) -> String? {
        guard let p = Glibc.realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    /// Deletes what `isExcluded` (a .dockerignore) names, except `keep`. `mayReinclude` says
    /// whether an excluded directory must be walked for `!` exceptions.
    public func applyIgnore(keep: Set<String>, isExcluded: (String) -> Bool, mayReinclude: (String) -> Bool) {
        func walk(_ rel: String) {
            let dir = rel.isEmpty ? root : "\(root)/\(rel)"
            for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
                let path = rel.isEmpty ? name : "\(rel)/\(name)"
                if keep.contains(path) { continue }
                var st = stat()
                guard lstat("\(root)/\(path)", &st) == 0 else { continue }
                let isDir = (st.st_mode & S_IFMT) == S_IFDIR
                if isExcluded(path) {
                    if isDir && mayReinclude(path) { walk(path); continue }
                    FileSystem.removeTree("\(root)/\(path)")
                } else if isDir {
                    walk(path)
                }
            }
        }
        walk("")
    }
}
