import Glibc

/// The filesystem side of the daemon's socket: refusing to steal a live one, removing a stale one.
enum SocketFile {
    /// Fails if a server already answers on `path`; a socket file nobody answers on is left for
    /// the bind to replace.
    static func prepare(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFSOCK else { return }
        if let probe = try? UnixSocket.connect(path: path) {
            probe.close()
            throw TransportError.socketInUse(path: path)
        }
    }

    /// Removes the socket file at shutdown.
    static func remove(_ path: String) {
        unlink(path)
    }
}
