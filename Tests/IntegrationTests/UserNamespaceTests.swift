import Foundation
import Glibc
import Testing

/// `berthd --userns-remap`: containers' root is an unprivileged host id, while the files of
/// layers, upper dirs and volumes keep on disk the ids the container sees (idmapped mounts).
@Suite(.serialized) struct UserNamespaceTests {
    static let base = 200_000

    static func owner(_ path: String) -> Int? {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_uid) : nil
    }

    static func words(_ s: String) -> [String] { s.split(whereSeparator: \.isWhitespace).map(String.init) }

    @Test func rootInTheContainerIsAnUnprivilegedHostID() throws {
        let d = try Fixtures.daemonWithBusybox(options: ["--userns-remap", "\(Self.base):65536"])
        let map = d.berth("run", "--rm", "bb", "cat", "/proc/self/uid_map")
        #expect(Self.words(map.stdout) == ["0", "\(Self.base)", "65536"], "\(map.stderr)")
        // Image files keep their owners as the container sees them; devices work.
        let look = d.berth("run", "--rm", "bb", "sh", "-c", "id -u; stat -c %u /bin/busybox /etc/passwd; head -c 3 /dev/zero | wc -c; echo x > /dev/null && echo null-ok")
        #expect(look.stdout == "0\n0\n0\n3\nnull-ok\n", "\(look.stderr)")

        let run = d.berth("run", "-d", "--name", "uw", "bb", "sh", "-c", "echo hi > /made && chown 1000:1000 /made && rm /etc/group && exec sleep 1000")
        #expect(run.status == 0, "\(run.stderr)")
        let id = run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let pid = d.berth("inspect", "-f", "{{.State.Pid}}", "uw").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let uidLine = status.split(separator: "\n").first { $0.hasPrefix("Uid:") }.map { Self.words(String($0)) } ?? []
        #expect(uidLine.dropFirst().allSatisfy { $0 == "\(Self.base)" } && uidLine.count == 5, "host sees \(uidLine)")
        let ex = d.berth("exec", "uw", "sh", "-c", "cat /proc/self/uid_map; id -u; cat /made; ls /etc/group 2>&1 | grep -c 'No such'")
        #expect(Self.words(ex.stdout) == ["0", "\(Self.base)", "65536", "0", "hi", "1"], "\(ex.stderr)")
        // The upper dir on disk holds the container's ids, not the host's.
        #expect(Self.owner("\(d.dataRoot)/containers/\(id)/upper/made") == 1000)
        // cp needs the container stopped under a remap, and then sees the container's ids.
        let busy = d.berth("cp", "uw:/made", "-")
        #expect(busy.status != 0 && busy.stderr.contains("--userns-remap"), "\(busy.stderr)")
        #expect(d.berth("stop", "-t", "0", "uw").status == 0)
        let listing = Run.sh("BERTH_HOST=\(d.host) \(Binaries.berth) cp uw:/made - | tar -tvf - --numeric-owner")
        #expect(listing.stdout.contains("1000/1000"), "\(listing.stdout) \(listing.stderr)")
        #expect(d.berth("rm", "-f", "uw").status == 0)
    }

    @Test func volumesKeepContainerIDsAndHostBindsStayTheHosts() throws {
        let d = try Fixtures.daemonWithBusybox(options: ["--userns-remap", "\(Self.base):65536"])
        let vol = d.berth("run", "--rm", "-v", "data:/data", "bb", "sh", "-c", "touch /data/f && chown 7:7 /data/f && stat -c %u /data/f")
        #expect(vol.stdout == "7\n", "\(vol.stderr)")
        #expect(Self.owner("\(d.dataRoot)/volumes/data/_data/f") == 7)

        // A host file owned by the host's root: the container's root is not it.
        let host = try TempDir.make("userns-bind")
        defer { try? FileManager.default.removeItem(atPath: host) }
        FileManager.default.createFile(atPath: "\(host)/file", contents: Data("secret\n".utf8), attributes: [.posixPermissions: 0o644])
        chmod(host, 0o755)
        let w = d.berth("run", "--rm", "-v", "\(host):/h", "bb", "sh", "-c", "stat -c %u /h/file; echo pwned >> /h/file")
        #expect(w.stdout == "65534\n", "\(w.stderr)")
        #expect(w.status != 0)
        #expect(w.stderr.contains("ermission denied"), "\(w.stderr)")
        #expect((try? String(contentsOfFile: "\(host)/file", encoding: .utf8)) == "secret\n")
    }

    @Test func hostModeAndWhatRemapRefuses() throws {
        let d = try Fixtures.daemonWithBusybox(options: ["--userns-remap", "\(Self.base):65536"])
        // A pty from the container's own devpts, a read-only root and masked paths still hold.
        let tty = d.berth("run", "--rm", "-t", "bb", "tty")
        #expect(tty.stdout.hasPrefix("/dev/pts/0"), "\(tty.stderr)")
        let ro = d.berth("run", "--rm", "--read-only", "bb", "sh", "-c", "touch /x 2>&1; head -c 1 /proc/kcore | wc -c")
        #expect(ro.stdout.contains("Read-only file system") && ro.stdout.hasSuffix("0\n"), "\(ro.stdout) \(ro.stderr)")
        let host = d.berth("run", "--rm", "--userns", "host", "bb", "cat", "/proc/self/uid_map")
        #expect(Self.words(host.stdout) == ["0", "0", "4294967295"], "\(host.stderr)")
        let privileged = d.berth("run", "--rm", "--privileged", "bb", "true")
        #expect(privileged.status == 125)
        #expect(privileged.stderr.contains("privileged mode is incompatible with user namespaces"), "\(privileged.stderr)")
        let bad = d.berth("run", "--rm", "--userns", "private", "bb", "true")
        #expect(bad.status == 125)
        #expect(bad.stderr.contains("invalid USER mode"), "\(bad.stderr)")
        #expect(d.docker("info", "--format", "{{json .SecurityOptions}}").stdout.contains("name=userns"))
    }

    @Test func lowPortsAreOpenToEveryUserAsInDocker() throws {
        let remapped = try Fixtures.daemonWithBusybox(options: ["--userns-remap", "\(Self.base):65536"])
        let plain = try Fixtures.daemonWithBusybox()
        for d in [remapped, plain] {
            for user in ["0", "65534"] {
                // nc fails at once when it may not bind; bound, it waits until timeout ends it.
                let r = d.berth("run", "--rm", "--user", user, "bb", "sh", "-c",
                                "cat /proc/sys/net/ipv4/ip_unprivileged_port_start; timeout 1 nc -l -p 80 2>&1; true")
                #expect(r.stdout.hasPrefix("0\n") && !r.stdout.contains("denied"), "user \(user): \(r.stdout) \(r.stderr)")
            }
        }
    }
}
