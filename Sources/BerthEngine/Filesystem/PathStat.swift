import Foundation
import Glibc

/// What `HEAD /containers/{id}/archive` reports about a path (Docker's `PathStat`, sent
/// base64-encoded in the `X-Docker-Container-Path-Stat` header).
public struct PathStat: Sendable, Equatable {
    public var name: String
    public var size: Int64
    /// Go's `os.FileMode` bits: permissions plus type flags (1<<31 directory, 1<<27 symlink, …).
    public var mode: UInt32
    public var mtime: timespec
    /// For a symlink, where it finally leads inside the container (absolute); else empty.
    public var linkTarget: String

    public static func == (a: PathStat, b: PathStat) -> Bool {
        a.name == b.name && a.size == b.size && a.mode == b.mode && a.linkTarget == b.linkTarget
            && a.mtime.tv_sec == b.mtime.tv_sec && a.mtime.tv_nsec == b.mtime.tv_nsec
    }

    public static let modeDir: UInt32 = 1 << 31
    public static let modeSymlink: UInt32 = 1 << 27

    public var isDirectory: Bool { mode & Self.modeDir != 0 }
    public var isSymlink: Bool { mode & Self.modeSymlink != 0 }

    /// Go's FileMode for a stat mode.
    public static func goMode(_ st: mode_t) -> UInt32 {
        var m = UInt32(st & 0o777)
        switch st & S_IFMT {
        case S_IFDIR: m |= 1 << 31
        case S_IFLNK: m |= 1 << 27
        case S_IFBLK: m |= 1 << 26
        case S_IFCHR: m |= 1 << 26 | 1 << 21
        case S_IFIFO: m |= 1 << 25
        case S_IFSOCK: m |= 1 << 24
        default: break
        }
        if st & S_ISUID != 0 { m |= 1 << 23 }
        if st & S_ISGID != 0 { m |= 1 << 22 }
        if st & S_ISVTX != 0 { m |= 1 << 20 }
        return m
    }

    /// The JSON Docker sends, keys in its order.
    public var json: String {
        func quoted(_ s: String) -> String {
            let data = (try? JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8)
            return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
        }
        return "{\"name\":\(quoted(name)),\"size\":\(size),\"mode\":\(mode),\"mtime\":\(quoted(Self.goTime(mtime))),\"linkTarget\":\(quoted(linkTarget))}"
    }

    /// Go's RFC 3339 with nanoseconds, trailing zeros dropped, in UTC.
    static func goTime(_ t: timespec) -> String {
        var tmv = tm()
        var secs = t.tv_sec
        gmtime_r(&secs, &tmv)
        var s = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", Int(tmv.tm_year) + 1900, Int(tmv.tm_mon) + 1, Int(tmv.tm_mday),
                       Int(tmv.tm_hour), Int(tmv.tm_min), Int(tmv.tm_sec))
        if t.tv_nsec > 0 {
            var frac = String(format: "%09d", Int(t.tv_nsec))
            while frac.hasSuffix("0") { frac.removeLast() }
            s += "." + frac
        }
        return s + "Z"
    }
}
