import Foundation
import Glibc
import Testing

/// Issue 8's volume races: containers starting at once on one new named volume that the image
/// fills, and a container swapping symlinks inside a shared volume while another mounts a
/// volume on a path inside it (CVE-2021-30465's shape).
@Suite(.serialized) struct VolumeRaceTests {
    /// Three rounds of two containers started at once on a new volume whose mount point holds
    /// 1500 files and a 16 MiB file in the image: each sees the whole copy from its first
    /// instruction, and the volume holds it once.
    @Test func twoContainersStartingOnOneNewVolumeBothSeeOneWholeCopy() throws {
        let d = try Fixtures.daemonWithBusybox()
        let seed = d.berth("run", "--name", "seed", "--network", "none", "bb", "sh", "-c",
                           "mkdir /data && cd /data && for i in $(seq 1500); do echo $i > f$i; done && dd if=/dev/urandom of=big bs=1M count=16 2>/dev/null && sha256sum big")
        #expect(seed.status == 0, "\(seed.stderr)")
        #expect(d.berth("commit", "seed", "filled:1").status == 0)
        let expected = "1501\n" + seed.stdout
        for round in 0..<3 {
            let volume = "shared\(round)"
            let runs = FaultTests.parallel(2) { _ in
                d.berth("run", "--rm", "--network", "none", "-v", "\(volume):/data", "filled:1", "sh", "-c", "cd /data && ls | wc -l && sha256sum big")
            }
            for r in runs { #expect(r.status == 0 && r.stdout == expected, "round \(round): \(r.stdout) \(r.stderr)") }
            let data = d.berth("volume", "inspect", "-f", "{{.Mountpoint}}", volume).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: data)) ?? []).count == 1501, "filled once: no file twice, none missing")
            #expect(d.berth("volume", "ls", "-q").lines.filter { $0 == volume }.count == 1)
        }
    }

    /// One container keeps swapping a directory inside a shared volume for a symlink to /etc;
    /// meanwhile others start with that volume mounted and a second volume mounted on the
    /// swapped path. Each either gets the second volume inside its own root (at the path, at
    /// the path the swapper renamed it to, where the link leads within the root, or detached
    /// when the swapper renamed a directory over it) or fails to start; the host's /etc never
    /// gets it.
    @Test func aSymlinkSwappedInsideAVolumeNeverRedirectsAnotherContainersMountOut() throws {
        let d = try Fixtures.daemonWithBusybox()
        #expect(d.berth("run", "--rm", "--network", "none", "-v", "inner:/o", "bb", "sh", "-c", "echo inside > /o/marker-\(getpid())").status == 0)
        let swapper = d.berth("run", "-d", "--name", "swapper", "--network", "none", "-v", "outer:/v", "bb", "sh", "-c",
                              "mkdir -p /v/t; while true; do mv /v/t /v/t.real; ln -s /etc /v/t; rm /v/t; mv /v/t.real /v/t; done")
        #expect(swapper.status == 0, "\(swapper.stderr)")
        let marker = "marker-\(getpid())"
        var mounted = 0, redirectedInside = 0, detached = 0, refused = 0
        for _ in 0..<15 {
            // Where the inner volume's directory is mounted, as the container sees it (the
            // swapper keeps renaming it, so the marker is not looked up by path).
            let r = d.berth("run", "--rm", "--network", "none", "-v", "outer:/mnt", "-v", "inner:/mnt/t", "bb",
                            "awk", "$4 ~ /\\/volumes\\/inner\\/_data$/ { print $5 }", "/proc/self/mountinfo")
            switch (r.status, r.stdout) {
            case (0, "/mnt/t\n"), (0, "/mnt/t.real\n"): mounted += 1
            case (0, "/etc\n"): redirectedInside += 1
            // Mounted on a /mnt/t that berth created while the swapper had moved the directory
            // away, which the swapper's `mv /v/t.real /v/t` then replaced: the kernel detaches a
            // mount whose mount point another namespace renames something over.
            case (0, ""): detached += 1
            case (let s, _) where s != 0 && !r.stderr.isEmpty: refused += 1
            default: Issue.record("unexpected outcome: \(r.status) \(r.stdout) \(r.stderr)")
            }
        }
        #expect(mounted + redirectedInside + detached + refused == 15)
        #expect(!FileManager.default.fileExists(atPath: "/etc/\(marker)"), "the host's /etc never got the volume")
        let mountinfo = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        #expect(!mountinfo.split(separator: "\n").contains { $0.split(separator: " ").dropFirst(4).first == "/etc" }, "nothing mounted on the host's /etc")
        #expect(d.berth("rm", "-f", "swapper").status == 0)
        #expect(d.berth("ps", "-aq").stdout.isEmpty)
    }
}
