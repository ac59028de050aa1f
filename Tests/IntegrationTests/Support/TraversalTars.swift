import Testing

/// Tars whose entries try to leave the directory they are unpacked into, each aimed at
/// `canary/keep`: `dotdot` climbs with `../`, `link-then-through` makes a symlink to the canary
/// and writes through it, `hardlink-out` links to the file outside. 64 `../` are more than any
/// extraction directory is deep (the surplus stops at /).
enum TraversalTars {
    /// Writes the three tars into `dir`: their names and paths.
    static func make(aimedAt canary: String, in dir: String) -> [(name: String, path: String)] {
        let up = String(repeating: "../", count: 64)
        let bodies: [(String, String)] = [
            ("dotdot", "t.addfile(entry('\(up)\(canary)/keep'), io.BytesIO(b'evil'))"),
            ("link-then-through", "l = tarfile.TarInfo('l'); l.type = tarfile.SYMTYPE; l.linkname = '\(canary)'; t.addfile(l); t.addfile(entry('l/keep'), io.BytesIO(b'evil'))"),
            ("hardlink-out", "h = tarfile.TarInfo('h'); h.type = tarfile.LNKTYPE; h.linkname = '\(up)\(canary)/keep'; t.addfile(h)"),
        ]
        return bodies.map { name, body in
            let path = "\(dir)/\(name).tar"
            let make = Run.run("/usr/bin/python3", ["-c", """
                import io, tarfile
                def entry(n):
                    i = tarfile.TarInfo(n); i.size = 4; return i
                t = tarfile.open('\(path)', 'w')
                \(body)
                t.close()
                """])
            #expect(make.status == 0, "\(name): \(make.stderr)")
            return (name, path)
        }
    }
}
