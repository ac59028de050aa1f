import Foundation

/// Images the tests make themselves, offline.
enum Fixtures {
    /// A busybox root filesystem tarball from the host's busybox-static, made once per run.
    static let busyboxTar: String = {
        let dir = "/tmp/berth-test-fixtures-\(getpid())"
        let tar = "\(dir)/busybox.tar"
        let script = """
        set -e
        for old in /tmp/berth-test-fixtures-*; do [ -d "/proc/${old##*-}" ] || rm -rf "$old"; done
        rm -rf \(dir) && mkdir -p \(dir)/rootfs/bin \(dir)/rootfs/etc \(dir)/rootfs/tmp \(dir)/rootfs/root
        cp /bin/busybox \(dir)/rootfs/bin/busybox
        for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox \(dir)/rootfs/bin/$a; done
        printf 'root:x:0:0:root:/root:/bin/sh\\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\\n' > \(dir)/rootfs/etc/passwd
        printf 'root:x:0:\\nnogroup:x:65534:\\n' > \(dir)/rootfs/etc/group
        tar --numeric-owner -C \(dir)/rootfs -cf \(tar) .
        rm -rf \(dir)/rootfs
        """
        let r = Run.sh(script)
        precondition(r.status == 0, "cannot build the busybox fixture (is busybox-static installed?): \(r.stderr)")
        return tar
    }()

    /// A daemon with the busybox image imported as `bb`.
    static func daemonWithBusybox(options: [String] = [], dataRootSize: String? = nil, cgroupV2: Bool = false) throws -> Daemon {
        let d = try Daemon(options, dataRootSize: dataRootSize, cgroupV2: cgroupV2)
        let r = d.berth("import", "-c", "CMD [\"sh\"]", busyboxTar, "bb")
        guard r.status == 0 else { throw TestFailure("import failed: \(r.stderr)") }
        return d
    }

    static func sha256(file: String) -> String {
        Run.run("/usr/bin/sha256sum", [file]).stdout.split(separator: " ").first.map(String.init) ?? ""
    }
}
