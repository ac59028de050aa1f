import Glibc

/// System-call level access to cgroup files. Writes are one `write(2)` to an existing file,
/// opened like a shell redirect but never with `O_CREAT`: a missing file means the controller is
/// not there, and the kernel's answer to a write (EBUSY, EINVAL) is the information.
enum CgroupFS {
    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// The whole file.
    static func read(_ path: String) throws(CgroupError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system("read", path, errno: errno) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .system("read", path, errno: errno)
            }
            if n == 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The file without surrounding whitespace, or nil when it cannot be read.
    static func value(_ path: String) -> String? {
        guard let text = try? read(path) else { return nil }
        return trim(text)
    }

    /// `text` without leading and trailing spaces, tabs and newlines.
    static func trim(_ text: String) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        guard let start = text.firstIndex(where: { !isSpace($0) }),
            let end = text.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(text[start...end])
    }

    /// Writes `value`; returns 0 or the errno, for callers that act on the kernel's refusal.
    static func writeErrno(_ path: String, _ value: String) -> Int32 {
        let fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        var bytes = Array(value.utf8)
        if bytes.isEmpty { bytes = [0x0a] }
        while true {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n >= 0 { return 0 }
            if errno != EINTR { return errno }
        }
    }

    /// Writes `value`, throwing a message that names the flag it served.
    static func write(_ path: String, _ value: String, flag: String? = nil) throws(CgroupError) {
        let code = writeErrno(path, value)
        guard code == 0 else { throw .system("write \(value) to", path, errno: code, flag: flag) }
    }

    /// Creates one directory; returns false when it already existed.
    @discardableResult
    static func makeDirectory(_ path: String) throws(CgroupError) -> Bool {
        if mkdir(path, 0o755) == 0 { return true }
        let code = errno
        if code == EEXIST, isDirectory(path) { return false }
        throw .system("mkdir", path, errno: code)
    }

    /// rmdir(2); 0 or the errno (ENOENT counts as success).
    static func removeDirectory(_ path: String) -> Int32 {
        if rmdir(path) == 0 { return 0 }
        return errno == ENOENT ? 0 : errno
    }

    /// Names of the subdirectories of `path` (symlinks to directories included), sorted.
    static func subdirectories(_ path: String) -> [String] {
        entries(path).filter { isDirectory("\(path)/\($0)") }.sorted()
    }

    /// Names of the regular files in `path`.
    static func files(_ path: String) -> [String] {
        entries(path).filter { name in
            var st = stat()
            return lstat("\(path)/\(name)", &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
        }
    }

    /// Every name in `path` but `.` and `..`; empty when it cannot be listed.
    private static func entries(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// `path` without its last component (`/a/b` → `/a`).
    static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The canonical path (symlinks resolved), or `path` itself when that fails.
    static func resolve(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// rmdir of `dir` and its sub-cgroups; 0 or the first errno.
    static func removeTree(_ dir: String) -> Int32 {
        guard isDirectory(dir) else { return 0 }
        for sub in subdirectories(dir) {
            let code = removeTree("\(dir)/\(sub)")
            if code != 0 { return code }
        }
        let code = removeDirectory(dir)
        // cgroupfs answers EBUSY, never ENOTEMPTY: this is a plain directory tree (a test
        // fixture) holding the files the kernel would show. Remove them too.
        guard code == ENOTEMPTY else { return code }
        for file in files(dir) { unlink("\(dir)/\(file)") }
        return removeDirectory(dir)
    }
}
