import Foundation

/// A Debian root filesystem made by debootstrap, for tests that build on a real distribution.
/// debootstrap takes minutes, so the tarball is made once per machine and kept outside the repo
/// in `/var/cache/berth-tests/` (written under a temporary name, then renamed into place).
enum DebianBase {
    static let mirror = "http://deb.debian.org/debian"
    static let cacheDir = "/var/cache/berth-tests"

    /// Why the mirror cannot be used from this machine (it did not serve the suite's InRelease),
    /// or nil when it answers.
    static func unreachable(suite: String) -> String? {
        let r = Run.run("/usr/bin/curl", ["-sS", "-o", "/dev/null", "--max-time", "20", "--retry", "2", "-w", "%{http_code}", "\(mirror)/dists/\(suite)/InRelease"])
        guard r.status == 0, r.stdout == "200" else {
            return "the Debian mirror \(mirror) is unreachable from this machine (curl exit \(r.status), HTTP \(r.stdout): \(r.stderr.split(separator: "\n").last ?? ""))"
        }
        return nil
    }

    /// The root filesystem tarball of `debootstrap --variant=VARIANT SUITE`, made if missing, set
    /// up as Docker's Debian images are: no apt lists or caches (and apt told to keep none), no
    /// /dev nodes, no resolv.conf or hostname from this machine.
    static func tar(suite: String = "bookworm", variant: String = "minbase") throws -> String {
        let tar = "\(cacheDir)/debootstrap-\(suite)-\(variant).tar"
        if FileManager.default.fileExists(atPath: tar) { return tar }
        if let reason = unreachable(suite: suite) { throw TestFailure(reason) }
        let script = """
        set -e
        mkdir -p \(cacheDir)
        for old in \(cacheDir)/.debootstrap-*; do
          [ -d "$old" ] && [ ! -d "/proc/${old##*-}" ] && { umount -R "$old/root" 2>/dev/null || true; rm -rf --one-file-system "$old"; }
        done
        tmp=\(cacheDir)/.debootstrap-$$
        trap 'umount -R "$tmp/root" 2>/dev/null || true; rm -rf --one-file-system "$tmp"' EXIT
        mkdir -p "$tmp"
        if ! timeout 1200 debootstrap --variant=\(variant) \(suite) "$tmp/root" \(mirror) >"$tmp/log" 2>&1; then
          tail -15 "$tmp/log" >&2; exit 1
        fi
        # As Docker's Debian images: apt keeps no package cache or downloaded .debs in layers.
        cat >"$tmp"/root/etc/apt/apt.conf.d/docker-clean <<'CONF'
        DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
        APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
        Dir::Cache::pkgcache "";
        Dir::Cache::srcpkgcache "";
        CONF
        echo 'Acquire::Languages "none";' >"$tmp"/root/etc/apt/apt.conf.d/docker-no-languages
        rm -rf "$tmp"/root/var/cache/apt/*.bin "$tmp"/root/var/cache/apt/archives/*.deb "$tmp"/root/var/lib/apt/lists/* "$tmp"/root/dev/* "$tmp"/root/etc/resolv.conf "$tmp"/root/etc/hostname
        tar --numeric-owner -C "$tmp/root" -cf "$tmp/base.tar" .
        mv "$tmp/base.tar" \(tar)
        """
        let r = Run.sh(script)
        guard r.status == 0 else {
            throw TestFailure("debootstrap --variant=\(variant) \(suite) from \(mirror) failed (is debootstrap installed — scripts/deps — and the mirror reachable?): \(r.stderr)")
        }
        return tar
    }
}
