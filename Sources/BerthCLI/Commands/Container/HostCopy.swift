import BerthArchive
import Foundation
import Glibc

/// One side of a copy (moby's `CopyInfo`).
struct CopyInfo {
    var path: String
    var exists = false
    var isDir = false
    /// The name the archived resource takes when resolving a link changed its last element.
    var rebaseName: String?
}

/// Why a copy cannot go ahead, in Docker's words.
enum CopyRefusal {
    static let cannotCopyDirectory = CLIError("cannot copy directory")
    static let directoryMissing = CLIError("no such directory")
    static let notDirectory = CLIError("not a directory")
}

/// The host side of `berth cp`: moby/go-archive's copy rules for local paths, so `berth cp`
/// and `docker cp` agree on what lands where.
enum HostCopy {
    /// An absolute path, keeping a trailing `/` or `/.`.
    static func absolute(_ path: String) -> String {
        let abs = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return CopyPath.preserveTrailingDotOrSeparator(CopyPath.clean(abs), path)
    }

    /// Go's os error text: `lstat /x: no such file or directory`.
    static func osError(_ op: String, _ path: String, _ e: Int32 = errno) -> CLIError {
        CLIError("\(op) \(path): \(String(cString: strerror(e)).lowercased())")
    }

    /// `filepath.EvalSymlinks`.
    static func realPath(_ path: String) throws -> String {
        guard let p = realpath(path.isEmpty ? "." : path, nil) else { throw osError("lstat", path) }
        defer { free(p) }
        return String(cString: p)
    }

    /// CopyInfoSourcePath: links before the last element resolved (the last too with
    /// `followLink`); the source must exist.
    static func sourceInfo(_ path: String, followLink: Bool) throws -> CopyInfo {
        var resolved: String
        var rebase: String?
        if followLink {
            (resolved, rebase) = CopyPath.rebaseName(path, resolved: try realPath(path))
        } else {
            let slash = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
            let (dir, base) = (String(path[..<slash]), String(path[slash...]))
            resolved = try realPath(dir) + "/" + base
            if resolved.hasPrefix("//") { resolved.removeFirst() }
            if CopyPath.hasTrailingSeparator(path) && CopyPath.base(path) != CopyPath.base(resolved) {
                rebase = CopyPath.base(path)
            }
        }
        var st = stat()
        guard lstat(resolved, &st) == 0 else { throw osError("lstat", resolved) }
        return CopyInfo(path: resolved, exists: true, isDir: st.st_mode & S_IFMT == S_IFDIR, rebaseName: rebase)
    }

    /// CopyInfoDestinationPath: links at the end are followed (up to 10); a missing
    /// destination is fine when its parent directory exists.
    static func destinationInfo(_ original: String) throws -> CopyInfo {
        var path = original
        var st = stat()
        var found = lstat(path, &st) == 0
        var hops = 0
        while found && st.st_mode & S_IFMT == S_IFLNK {
            hops += 1
            if hops > 11 { throw CLIError("too many symlinks in \(original)") }
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) else { throw osError("readlink", path) }
            path = target.hasPrefix("/") ? target : CopyPath.join(CopyPath.splitDirEntry(path).dir, target)
            found = lstat(path, &st) == 0
        }
        if found { return CopyInfo(path: path, exists: true, isDir: st.st_mode & S_IFMT == S_IFDIR) }
        guard errno == ENOENT else { throw osError("lstat", path) }
        let parent = CopyPath.splitDirEntry(path).dir
        guard stat(parent, &st) == 0 else { throw osError("stat", parent) }
        guard st.st_mode & S_IFMT == S_IFDIR else { throw CopyRefusal.notDirectory }
        return CopyInfo(path: path)
    }

    /// PrepareArchiveCopy: the directory to extract into, and the renaming of the archive's
    /// first element (`from` → `to`) that makes the copy land under the destination's name.
    static func prepare(source: CopyInfo, destination: CopyInfo) throws -> (dir: String, rename: (from: String, to: String)?) {
        let (dstDir, dstBase) = CopyPath.splitDirEntry(destination.path)
        var srcBase = source.rebaseName ?? CopyPath.splitDirEntry(source.path).base
        // The root's entries are `/…`: their "base" is the empty prefix.
        if srcBase == "/" { srcBase = "" }
        if destination.exists && destination.isDir { return (destination.path, nil) }
        if destination.exists && source.isDir { throw CopyRefusal.cannotCopyDirectory }
        if !destination.exists && !source.isDir && CopyPath.assertsDirectory(destination.path) { throw CopyRefusal.directoryMissing }
        return (dstDir, (srcBase, dstBase))
    }

    /// Docker's ValidateOutputPath for a copy out of a container.
    static func validateOutput(_ path: String) throws {
        let dir = CopyPath.dir(CopyPath.clean(path))
        var st = stat()
        if dir != "." && stat(dir, &st) != 0 && errno == ENOENT {
            throw CLIError("invalid output path: directory \"\(dir)\" does not exist")
        }
        if stat(path, &st) == 0 {
            let kind = st.st_mode & S_IFMT
            if kind != S_IFDIR && kind != S_IFREG {
                throw CLIError("invalid output path: \"\(path)\" must be a directory or a regular file")
            }
        }
    }
}
