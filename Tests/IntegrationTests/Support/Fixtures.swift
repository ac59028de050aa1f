import Foundation

/// Images the tests make themselves, offline.
enum Fixtures {
    /// A busybox root filesystem tarball from the host's busybox-static, made once per run.
    static let busyboxTar: String = {
        let dir = "/tmp/berth-test-fixtures-\(getpid())"
        let tar = "\(dir)/busybox.tar"
        let script = """
        set -e
        rm -rf \(dir) && mkdir -p \(dir)/rootfs/bin \(dir)/rootfs/etc \(dir)/rootfs/tmp \(dir)/rootfs/root
        cp /bin/busybox \(dir)/rootfs/bin/busybox
        for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox \(dir)/rootfs/bin/$a; done
        echo 'root:x:0:0:root:/root:/bin/sh' > \(dir)/rootfs/etc/passwd
        echo 'root:x:0:' > \(dir)/rootfs/etc/group
        tar --numeric-owner -C \(dir)/rootfs -cf \(tar) .
        """
        let r = Run.sh(script)
        precondition(r.status == 0, "cannot build the busybox fixture (is busybox-static installed?): \(r.stderr)")
        return tar
    }()

    static func sha256(file: String) -> String {
        Run.run("/usr/bin/sha256sum", [file]).stdout.split(separator: " ").first.map(String.init) ?? ""
    }
}
