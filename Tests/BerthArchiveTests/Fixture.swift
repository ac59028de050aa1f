import CBerthSys
import Foundation
import Glibc
import Testing

@testable import BerthArchive

/// One member of a test layer, written by Python's tarfile so hostile entries can be crafted exactly.
struct TarEntry: Encodable, Sendable {
    enum Kind: String, Encodable, Sendable { case file, dir, symlink, hardlink, char, block, fifo }

    var name: String
    var kind: Kind
    var data = Data()
    var link = ""
    var mode = 0o644
    var uid = 0
    var gid = 0
    var mtime = 1_600_000_000
    var devmajor = 0
    var devminor = 0
    var xattrs: [String: String] = [:]

    static func file(
        _ name: String, _ content: String = "", mode: Int = 0o644, uid: Int = 0, gid: Int = 0,
        mtime: Int = 1_600_000_000, xattrs: [String: String] = [:]
    ) -> TarEntry {
        TarEntry(name: name, kind: .file, data: Data(content.utf8), mode: mode, uid: uid, gid: gid, mtime: mtime, xattrs: xattrs)
    }

    static func file(_ name: String, bytes: Data, mode: Int = 0o644) -> TarEntry {
        TarEntry(name: name, kind: .file, data: bytes, mode: mode)
    }

    static func dir(
        _ name: String, mode: Int = 0o755, uid: Int = 0, gid: Int = 0, mtime: Int = 1_600_000_000,
        xattrs: [String: String] = [:]
    ) -> TarEntry {
        TarEntry(name: name, kind: .dir, mode: mode, uid: uid, gid: gid, mtime: mtime, xattrs: xattrs)
    }

    static func symlink(_ name: String, to target: String, uid: Int = 0, gid: Int = 0, mtime: Int = 1_600_000_000) -> TarEntry {
        TarEntry(name: name, kind: .symlink, link: target, mode: 0o777, uid: uid, gid: gid, mtime: mtime)
    }

    static func hardlink(_ name: String, to target: String, mode: Int = 0o644) -> TarEntry {
        TarEntry(name: name, kind: .hardlink, link: target, mode: mode)
    }

    static func device(_ name: String, _ kind: Kind, major: Int = 0, minor: Int = 0, mode: Int = 0o600) -> TarEntry {
        TarEntry(name: name, kind: kind, mode: mode, devmajor: major, devminor: minor)
    }
}

enum TarFormat: String, Encodable, Sendable { case pax, gnu, ustar }
enum Squeeze: String, Sendable, CustomStringConvertible {
    case none, gzip, zstd
    var description: String { rawValue }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
}

/// A scratch directory per test: `w/root` is the layer root, `canary/` sits beside it with files an
/// escaping entry would hit, `tars/` holds the layers. Removed when the test drops it.
final class Sandbox {
    let base: String
    var root: String { base + "/w/root" }
    var canary: String { base + "/canary" }
    var tars: String { base + "/tars" }
    private var counter = 0

    init() throws {
        var template = Array("/tmp/berth-archive-test-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw FixtureError(description: "mkdtemp: \(errno)") }
        base = String(cString: made)
        for dir in ["w", "w/root", "canary", "canary/etc", "tars"] {
            try FileManager.default.createDirectory(atPath: base + "/" + dir, withIntermediateDirectories: true)
        }
        try write(canary + "/file", "canary\n", mode: 0o640)
        try write(canary + "/etc/passwd", "root:x:0:0::/root:/bin/sh\n", mode: 0o644)
    }

    deinit { try? FileManager.default.removeItem(atPath: base) }

    /// A path under the layer root.
    func at(_ relative: String) -> String { root + "/" + relative }

    /// Builds a tar of `entries`, with `padding` extra zero bytes after tarfile's own and optionally
    /// cut to `truncate` bytes. Returns its path.
    func tar(_ entries: [TarEntry], format: TarFormat = .pax, padding: Int = 0, truncate: Int? = nil) throws -> String {
        counter += 1
        let spec = tars + "/spec\(counter).json"
        let out = tars + "/layer\(counter).tar"
        struct Spec: Encodable {
            let entries: [TarEntry]
            let format: TarFormat
            let padding: Int
            let truncate: Int?
        }
        try JSONEncoder().encode(Spec(entries: entries, format: format, padding: padding, truncate: truncate))
            .write(to: URL(fileURLWithPath: spec))
        try run("/usr/bin/python3", "-c", Self.builder, spec, out)
        return out
    }

    /// `path` compressed with the gzip or zstd command; `path` itself for `.none`.
    func compress(_ path: String, _ how: Squeeze) throws -> String {
        switch how {
        case .none: return path
        case .gzip:
            try run("/usr/bin/gzip", "-k", "-n", "-f", path)
            return path + ".gz"
        case .zstd:
            try run("/usr/bin/zstd", "-q", "-f", path, "-o", path + ".zst")
            return path + ".zst"
        }
    }

    /// Writes raw bytes as a layer file.
    func layer(bytes: Data) throws -> String {
        counter += 1
        let out = tars + "/raw\(counter)"
        try bytes.write(to: URL(fileURLWithPath: out))
        return out
    }

    func extract(_ layer: String) throws(ArchiveError) -> ExtractResult {
        try LayerExtractor.extract(layerPath: layer, into: root)
    }

    /// Everything outside the layer root (canary and the root's parent), for before/after comparison.
    func outside() throws -> [String: String] {
        try Tree.snapshot(base, skipping: [root, tars])
    }

    func write(_ path: String, _ content: String, mode: mode_t) throws {
        try Data(content.utf8).write(to: URL(fileURLWithPath: path))
        guard chmod(path, mode) == 0 else { throw FixtureError(description: "chmod \(path): \(errno)") }
    }

    /// The Python side: JSON spec in, tar out.
    static let builder = #"""
    import base64, io, json, sys, tarfile
    spec = json.load(open(sys.argv[1]))
    fmt = {"pax": tarfile.PAX_FORMAT, "gnu": tarfile.GNU_FORMAT, "ustar": tarfile.USTAR_FORMAT}[spec["format"]]
    types = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE,
             "char": tarfile.CHRTYPE, "block": tarfile.BLKTYPE, "fifo": tarfile.FIFOTYPE}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for e in spec["entries"]:
            ti = tarfile.TarInfo(e["name"])
            ti.type = types[e["kind"]]
            ti.mode, ti.uid, ti.gid, ti.mtime = e["mode"], e["uid"], e["gid"], e["mtime"]
            ti.linkname = e["link"]
            ti.devmajor, ti.devminor = e["devmajor"], e["devminor"]
            ti.uname = ti.gname = ""
            if e["xattrs"]:
                ti.pax_headers = {"SCHILY.xattr." + k: v for k, v in e["xattrs"].items()}
            data = base64.b64decode(e["data"])
            ti.size = len(data) if e["kind"] == "file" else 0
            t.addfile(ti, io.BytesIO(data) if e["kind"] == "file" else None)
    raw = buf.getvalue() + b"\0" * spec["padding"]
    if spec.get("truncate") is not None:
        raw = raw[:spec["truncate"]]
    open(sys.argv[2], "wb").write(raw)
    """#
}

/// Runs a command, failing with its stderr when it exits non-zero; returns stdout.
@discardableResult
func run(_ executable: String, _ arguments: String...) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw FixtureError(description: "\(executable) \(arguments.last ?? "") failed: \(String(decoding: stderr, as: UTF8.self))")
    }
    return stdout
}

/// `sha256:<hex>` of a file, from the sha256sum command rather than our own hasher.
func sha256sum(_ path: String) throws -> String {
    let out = String(decoding: try run("/usr/bin/sha256sum", path), as: UTF8.self)
    return "sha256:" + (out.split(separator: " ").first.map(String.init) ?? "")
}

func lstatOf(_ path: String) -> stat? {
    var st = stat()
    return lstat(path, &st) == 0 ? st : nil
}

func fileType(_ path: String) -> mode_t? { lstatOf(path).map { $0.st_mode & S_IFMT } }

func contents(_ path: String) -> String? {
    (try? Data(contentsOf: URL(fileURLWithPath: path))).map { String(decoding: $0, as: UTF8.self) }
}

func linkTarget(_ path: String) -> String? {
    try? FileManager.default.destinationOfSymbolicLink(atPath: path)
}

/// Runs `body` with an O_PATH fd for the parent of `path` and its last component, for the
/// `berth_*at` calls (Swift's Glibc has no xattr or makedev functions).
func atParent<T>(_ path: String, _ body: (Int32, String) -> T) -> T {
    let parent = (path as NSString).deletingLastPathComponent
    let fd = open(parent.isEmpty ? "." : parent, berth_O_PATH | O_DIRECTORY | O_CLOEXEC)
    defer { if fd >= 0 { close(fd) } }
    return body(fd, (path as NSString).lastPathComponent)
}

/// The value of one xattr, not following a final symlink.
func xattr(_ path: String, _ key: String) -> String? {
    var buf = [UInt8](repeating: 0, count: 4096)
    let n = atParent(path) { berth_lgetxattrat($0, $1, key, &buf, buf.count) }
    return n < 0 ? nil : String(decoding: buf[0..<n], as: UTF8.self)
}

func setXattr(_ path: String, _ key: String, _ value: String) -> Int32 {
    atParent(path) { berth_lsetxattrat($0, $1, key, value, value.utf8.count) }
}

func xattrNames(_ path: String) -> [String] {
    var buf = [CChar](repeating: 0, count: 4096)
    let n = atParent(path) { berth_llistxattrat($0, $1, &buf, buf.count) }
    guard n > 0 else { return [] }
    return buf[0..<n].split(separator: 0).map { String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self) }.sorted()
}

/// A directory tree flattened to `relative path → description` for equality checks.
enum Tree {
    static func snapshot(_ top: String, skipping: Set<String> = [], mtimes: Bool = true) throws -> [String: String] {
        var out: [String: String] = [:]
        var inodes: [UInt: String] = [:]
        func walk(_ dir: String, _ prefix: String) throws {
            for name in try FileManager.default.contentsOfDirectory(atPath: dir).sorted() {
                let path = dir + "/" + name
                if skipping.contains(path) { continue }
                let rel = prefix + name
                guard let st = lstatOf(path) else { throw FixtureError(description: "lstat \(path)") }
                out[rel] = describe(path, st, mtimes: mtimes, inodes: &inodes, rel: rel)
                if st.st_mode & S_IFMT == S_IFDIR { try walk(path, rel + "/") }
            }
        }
        try walk(top, "")
        return out
    }

    private static func describe(_ path: String, _ st: stat, mtimes: Bool, inodes: inout [UInt: String], rel: String) -> String {
        let kind = st.st_mode & S_IFMT
        var d = "mode=\(String(st.st_mode, radix: 8)) owner=\(st.st_uid):\(st.st_gid)"
        // Layers keep whole seconds, as Docker's do.
        if mtimes && kind != S_IFLNK { d += " mtime=\(st.st_mtim.tv_sec)" }
        switch kind {
        case S_IFREG:
            d += " size=\(st.st_size) data=\(contents(path) ?? "?")"
            if st.st_nlink > 1 {
                let first = inodes[st.st_ino] ?? rel
                inodes[st.st_ino] = first
                d += " links=\(st.st_nlink) inode-of=\(first)"
            }
        case S_IFLNK: d += " -> \(linkTarget(path) ?? "?")"
        case S_IFCHR, S_IFBLK: d += " rdev=\(berth_major(st.st_rdev)),\(berth_minor(st.st_rdev))"
        default: break
        }
        for key in xattrNames(path) where !key.hasPrefix("security.") {
            d += " \(key)=\(xattr(path, key) ?? "?")"
        }
        return d
    }
}
