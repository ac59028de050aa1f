import BerthArchive
import BerthOCI
import BerthStore
import Foundation
import Glibc

/// COPY and ADD: the files a step copies, laid out in a staging directory the way Docker's
/// destination rules place them, then written as a layer.
public enum CopyStep {
    /// One source after globbing: its path relative to the source root and on the host.
    public struct Source: Sendable, Equatable {
        public var relative: String
        public var host: String
    }

    /// How Docker's history names a COPY's sources: `file`, `dir` (one directory) or `multi`.
    public static func historyKind(_ sources: [Source]) -> String {
        guard sources.count == 1 else { return "multi" }
        var st = stat()
        return stat(sources[0].host, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR ? "dir" : "file"
    }

    /// What the step is asked to do, expanded.
    public struct Request: Sendable {
        /// Source patterns as written (context- or stage-relative; globs allowed).
        public var sources: [String]
        public var destination: String
        /// The image's working directory, for a relative destination.
        public var workdir: String
        public var owner: (uid: UInt32, gid: UInt32)?
        public var mode: mode_t?
        /// ADD: local tar archives are extracted rather than copied.
        public var extractArchives = false
        public init(sources: [String], destination: String, workdir: String) {
            self.sources = sources
            self.destination = destination
            self.workdir = workdir
        }
    }

    /// The absolute destination: relative to `workdir`, the trailing slash kept (it means "a directory").
    public static func destinationPath(_ dest: String, workdir: String) -> String {
        let slash = dest.hasSuffix("/") || dest.hasSuffix("/.") || dest == "."
        var abs = dest.hasPrefix("/") ? dest : CopyPath.join(workdir.isEmpty ? "/" : workdir, dest)
        abs = CopyPath.clean(abs.hasPrefix("/") ? abs : "/" + abs)
        return slash && abs != "/" ? abs + "/" : abs
    }

    /// Where each source lands, by Docker's rules: with several sources or a destination ending
    /// in `/` (or naming a directory already in the image) a file goes to `dest/basename`; a
    /// directory's contents (not the directory) go into the destination.
    /// Returns (source, target path in the image, copy contents-of-directory).
    public static func placements(_ sources: [Source], destination: String, isDirectory: (String) -> Bool,
                                  destinationIsDirectory: Bool) throws -> [(Source, String)] {
        let dirDest = destination.hasSuffix("/") || sources.count > 1 || destinationIsDirectory
        if sources.count > 1 && !destination.hasSuffix("/") && !destinationIsDirectory {
            throw EngineError(.invalid, "When using COPY with more than one source file, the destination must be a directory and end with a /")
        }
        let base = destination.hasSuffix("/") && destination != "/" ? String(destination.dropLast()) : destination
        return sources.map { s in
            if isDirectory(s.host) { return (s, base) }
            if dirDest { return (s, CopyPath.join(base, CopyPath.base(s.relative.isEmpty ? "." : s.relative))) }
            return (s, base)
        }
    }

    /// Expands the source patterns against `root` (Go's filepath.Match per path element); each
    /// match is checked to stay inside the root (`context` true: an escape is an error).
    public static func expand(_ patterns: [String], root: String, context: Bool, instruction: String) throws -> [Source] {
        var out: [Source] = []
        for pattern in patterns {
            guard let cleaned = BuildContext.clean(pattern) else {
                throw EngineError(.invalid, "\(instruction) \(pattern): forbidden path outside the build context; only files under the context directory can be used")
            }
            let matches: [String]
            if cleaned.contains(where: { "*?[".contains($0) }) {
                matches = glob(cleaned, root: root)
                if matches.isEmpty { throw EngineError(.invalid, "\(instruction) failed: no source files were specified (\(pattern) matches nothing)") }
            } else {
                matches = [cleaned]
            }
            for m in matches {
                let host = try resolveBeneath(root, m, refuseEscape: context, instruction: instruction, original: pattern)
                var st = stat()
                guard lstat(host, &st) == 0 else {
                    throw EngineError(.invalid, "\(instruction) failed: file not found in build context or excluded by .dockerignore: stat \(m.isEmpty ? "." : m): file does not exist")
                }
                out.append(Source(relative: m, host: host))
            }
        }
        return out
    }

    /// Matches a cleaned relative pattern element by element (Go's filepath.Glob: `*` does not cross `/`).
    static func glob(_ pattern: String, root: String) -> [String] {
        var current = [""]
        for element in pattern.split(separator: "/").map(String.init) {
            var next: [String] = []
            for dir in current {
                let hostDir = dir.isEmpty ? root : "\(root)/\(dir)"
                if element.contains(where: { "*?[".contains($0) }) {
                    let names = ((try? FileManager.default.contentsOfDirectory(atPath: hostDir)) ?? []).sorted()
                    for n in names where fnmatch(element, n, FNM_PERIOD) == 0 {
                        next.append(dir.isEmpty ? n : "\(dir)/\(n)")
                    }
                } else if FileManager.default.fileExists(atPath: "\(hostDir)/\(element)") {
                    next.append(dir.isEmpty ? element : "\(dir)/\(element)")
                }
            }
            current = next
        }
        return current
    }

    /// `relative` resolved beneath `root`, following symlinks as if `root` were `/`. A symlink
    /// leading out is an error when `refuseEscape` (the build context), else clamped at the root
    /// (an image's absolute links). The final element is followed too (COPY copies the target).
    public static func resolveBeneath(_ root: String, _ relative: String, refuseEscape: Bool, instruction: String, original: String) throws -> String {
        var resolved: [String] = []
        var pending = Array(relative.split(separator: "/").map(String.init).reversed())
        var hops = 0
        while let part = pending.popLast() {
            if part == "." || part.isEmpty { continue }
            if part == ".." {
                if resolved.isEmpty {
                    if refuseEscape { throw escape(instruction, original) }
                    continue
                }
                resolved.removeLast()
                continue
            }
            let host = ([root] + resolved + [part]).joined(separator: "/")
            var st = stat()
            if lstat(host, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK {
                hops += 1
                guard hops <= 40 else { throw EngineError(.invalid, "\(instruction) \(original): too many levels of symbolic links") }
                var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let n = readlink(host, &buf, Int(PATH_MAX))
                guard n >= 0 else { throw EngineError(.internalError, "readlink \(host): \(String(cString: strerror(errno)))") }
                let target = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if target.hasPrefix("/") {
                    if refuseEscape { throw escape(instruction, original, link: target) }
                    resolved = []
                }
                pending.append(contentsOf: target.split(separator: "/").map(String.init).reversed())
                continue
            }
            resolved.append(part)
        }
        return ([root] + resolved).joined(separator: "/")
    }

    static func escape(_ instruction: String, _ path: String, link: String? = nil) -> EngineError {
        let why = link.map { " (a symlink points to \($0))" } ?? ""
        return EngineError(.invalid, "\(instruction) \(path): forbidden path outside the build context\(why); only files under the context directory can be used")
    }

    /// A checksum line per file a source holds: path, type, mode, owner and content digest
    /// (never times), so the cache sees any change that matters and nothing else.
    public static func checksums(_ sources: [Source]) -> [String] {
        var out: [String] = []
        func visit(_ host: String, _ name: String) {
            var st = stat()
            guard lstat(host, &st) == 0 else { return }
            let meta = "\(name) \(String(st.st_mode, radix: 8)) \(st.st_uid):\(st.st_gid)"
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                out.append(meta)
                for n in ((try? FileManager.default.contentsOfDirectory(atPath: host)) ?? []).sorted() { visit("\(host)/\(n)", "\(name)/\(n)") }
            case S_IFLNK:
                out.append("\(meta) -> \((try? FileManager.default.destinationOfSymbolicLink(atPath: host)) ?? "")")
            case S_IFREG:
                out.append("\(meta) \(fileDigest(host))")
            default:
                out.append(meta)
            }
        }
        for s in sources { visit(s.host, s.relative) }
        return out
    }

    static func fileDigest(_ path: String) -> String {
        guard let h = FileHandle(forReadingAtPath: path) else { return "unreadable" }
        defer { try? h.close() }
        var hasher = DigestHasher()
        while let chunk = try? h.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(chunk) }
        return hasher.finalize().description
    }

    // MARK: staging

    /// Copies `source` to `target` (a path in the image) under `staging`, Docker's way: owner
    /// `owner` (default 0:0), mode kept unless `mode` is given; directories copied by content;
    /// symlinks as links; ADD's local archives extracted when `extract`.
    public static func stage(_ source: Source, target: String, staging: String, owner: (uid: UInt32, gid: UInt32)?, mode: mode_t?,
                             extract: Bool, parentStat: (String) -> stat?) throws {
        let uid = owner?.uid ?? 0, gid = owner?.gid ?? 0
        try makeParents(of: target, staging: staging, owner: owner, parentStat: parentStat)
        var st = stat()
        guard lstat(source.host, &st) == 0 else { throw EngineError(.invalid, "stat \(source.relative): \(String(cString: strerror(errno)))") }
        let dest = staging + (target == "/" ? "" : target)
        if (st.st_mode & S_IFMT) == S_IFDIR {
            try makeDirectory(dest, like: st, uid: uid, gid: gid, mode: mode, existing: target == "/" ? nil : parentStat(target))
            try copyTree(source.host, dest, uid: uid, gid: gid, mode: mode)
        } else if extract, (st.st_mode & S_IFMT) == S_IFREG, isArchive(source.host) {
            try makeDirectory(dest, like: nil, uid: 0, gid: 0, mode: nil, existing: parentStat(target))
            let fd = open(source.host, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw EngineError(.internalError, "open \(source.relative): \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            let dir = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard dir >= 0 else { throw EngineError(.internalError, "open \(dest): \(String(cString: strerror(errno)))") }
            defer { close(dir) }
            var o = CopyArchive.Options()
            o.destinationName = target
            try CopyArchive.extract(from: fd, into: dir, options: o)
        } else {
            try copyEntry(source.host, dest, st, uid: uid, gid: gid, mode: mode)
        }
    }

    /// Whether a file starts like a tar archive, plain or compressed (what ADD extracts).
    static func isArchive(_ path: String) -> Bool {
        guard let h = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? h.close() }
        let head = [UInt8]((try? h.read(upToCount: 512)) ?? Data())
        if head.starts(with: [0x1f, 0x8b]) || head.starts(with: [0x42, 0x5a, 0x68]) || head.starts(with: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])
            || head.starts(with: [0x28, 0xb5, 0x2f, 0xfd]) { return true }
        return head.count >= 262 && Array(head[257..<262]) == Array("ustar".utf8)
    }

    /// The parent directories of `target` in the staging tree, with the image's metadata when
    /// the image has them (so the layer does not change them), else 0755 and the owner.
    static func makeParents(of target: String, staging: String, owner: (uid: UInt32, gid: UInt32)?, parentStat: (String) -> stat?) throws {
        var path = ""
        let parts = CopyPath.dir(target).split(separator: "/")
        for p in parts {
            path += "/\(p)"
            var st = stat()
            if lstat(staging + path, &st) == 0 { continue }
            try makeDirectory(staging + path, like: nil, uid: owner?.uid ?? 0, gid: owner?.gid ?? 0, mode: nil, existing: parentStat(path))
        }
    }

    static func makeDirectory(_ path: String, like st: stat?, uid: UInt32, gid: UInt32, mode: mode_t?, existing: stat?) throws {
        var cur = stat()
        if lstat(path, &cur) == 0 { return }
        let m = existing.map { $0.st_mode & 0o7777 } ?? mode ?? st.map { $0.st_mode & 0o7777 } ?? 0o755
        guard mkdir(path, 0o700) == 0 else { throw EngineError(.internalError, "mkdir \(path): \(String(cString: strerror(errno)))") }
        let u = existing?.st_uid ?? uid, g = existing?.st_gid ?? gid
        guard lchown(path, u, g) == 0, chmod(path, m) == 0 else { throw EngineError(.internalError, "set owner of \(path): \(String(cString: strerror(errno)))") }
    }

    static func copyTree(_ from: String, _ to: String, uid: UInt32, gid: UInt32, mode: mode_t?) throws {
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: from)) ?? []).sorted() {
            var st = stat()
            guard lstat("\(from)/\(name)", &st) == 0 else { continue }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                var cur = stat()
                if lstat("\(to)/\(name)", &cur) != 0 {
                    guard mkdir("\(to)/\(name)", 0o700) == 0 else { throw EngineError(.internalError, "mkdir \(to)/\(name): \(String(cString: strerror(errno)))") }
                }
                lchown("\(to)/\(name)", uid, gid)
                chmod("\(to)/\(name)", mode ?? (st.st_mode & 0o7777))
                try copyTree("\(from)/\(name)", "\(to)/\(name)", uid: uid, gid: gid, mode: mode)
            } else {
                try copyEntry("\(from)/\(name)", "\(to)/\(name)", st, uid: uid, gid: gid, mode: mode)
            }
        }
    }

    /// One non-directory: a regular file's bytes, a symlink, or a fifo; devices are skipped
    /// (a 0/0 device would read as a whiteout).
    static func copyEntry(_ from: String, _ to: String, _ st: stat, uid: UInt32, gid: UInt32, mode: mode_t?) throws {
        unlink(to)
        switch st.st_mode & S_IFMT {
        case S_IFLNK:
            let target = try FileManager.default.destinationOfSymbolicLink(atPath: from)
            guard symlink(target, to) == 0 else { throw EngineError(.internalError, "symlink \(to): \(String(cString: strerror(errno)))") }
            lchown(to, uid, gid)
        case S_IFREG:
            let src = open(from, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            guard src >= 0 else { throw EngineError(.internalError, "open \(from): \(String(cString: strerror(errno)))") }
            defer { close(src) }
            let dst = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
            guard dst >= 0 else { throw EngineError(.internalError, "create \(to): \(String(cString: strerror(errno)))") }
            defer { close(dst) }
            var buf = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = read(src, &buf, buf.count)
                if n < 0 { if errno == EINTR { continue }; throw EngineError(.internalError, "read \(from): \(String(cString: strerror(errno)))") }
                if n == 0 { break }
                var done = 0
                while done < n {
                    let w = buf.withUnsafeBytes { write(dst, $0.baseAddress! + done, n - done) }
                    if w < 0 { if errno == EINTR { continue }; throw EngineError(.internalError, "write \(to): \(String(cString: strerror(errno)))") }
                    done += w
                }
            }
            guard fchown(dst, uid, gid) == 0, fchmod(dst, mode ?? (st.st_mode & 0o7777)) == 0 else {
                throw EngineError(.internalError, "set owner of \(to): \(String(cString: strerror(errno)))")
            }
            // The source's mtime, as Docker keeps it, so equal inputs give equal layers.
            var times = [st.st_atim, st.st_mtim]
            futimens(dst, &times)
        case S_IFIFO:
            guard mkfifo(to, mode ?? (st.st_mode & 0o7777)) == 0 else { throw EngineError(.internalError, "mkfifo \(to): \(String(cString: strerror(errno)))") }
            lchown(to, uid, gid)
        default:
            break
        }
    }
}
