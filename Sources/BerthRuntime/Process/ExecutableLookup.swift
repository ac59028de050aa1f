import Glibc

/// Finds `args[0]` the way runc's (Go's) `exec.LookPath` does, inside the container after
/// pivot_root and setuid, so the errors and their exit codes match Docker's.
enum ExecutableLookup {
    static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// The path to execute for `name`, given the process environment.
    static func resolve(_ name: String, env: [String]) throws(StartFailure) -> String {
        if name.isEmpty {
            throw StartFailure(exitCode: 127, message: "exec: \"\": executable file not found in $PATH")
        }
        if name.contains("/") {
            if let err = check(name) {
                let detail = err == ENOENT || err == ENOTDIR
                    ? "stat \(name): \(errorString(err))" : errorString(err)
                throw StartFailure(exitCode: err == ENOENT || err == ENOTDIR ? 127 : 126,
                                   message: "exec: \"\(name)\": \(detail)")
            }
            return name
        }
        let path = env.last(where: { $0.hasPrefix("PATH=") }).map { String($0.dropFirst(5)) } ?? defaultPath
        for dir in path.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (dir.isEmpty ? "." : String(dir)) + "/" + name
            if check(candidate) == nil { return candidate }
        }
        throw StartFailure(exitCode: 127, message: "exec: \"\(name)\": executable file not found in $PATH")
    }

    /// nil when `path` is a file with an execute bit, else the errno Go would report.
    private static func check(_ path: String) -> Int32? {
        var st = stat()
        guard stat(path, &st) == 0 else { return errno }
        if st.st_mode & S_IFMT == S_IFDIR { return EISDIR }
        return st.st_mode & 0o111 != 0 ? nil : EACCES
    }
}
