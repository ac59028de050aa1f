import Foundation
import Glibc
import Testing

/// `diff`, `export` and `commit` through berth, the API and the docker CLI.
@Suite(.serialized) struct FilesystemVerbTests {
    static let changes = "mkdir -p /new/deep && echo f > /new/deep/f && echo more >> /etc/passwd && rm /bin/ls && echo x > /tmp/x"

    @Test func diffListsWhatTheContainerAddedChangedAndDeleted() throws {
        let d = try Fixtures.daemonWithBusybox()
        // Containers outlive berthd: a running one is removed, not left behind.
        defer { d.berth("rm", "-f", "box") }
        #expect(d.berth("run", "--name", "box", "-v", "vol:/data", "bb", "sh", "-c", Self.changes + " && echo v > /data/v").status == 0)
        let expected = "C /bin\nD /bin/ls\nA /data\nC /etc/passwd\nA /new\nA /new/deep\nA /new/deep/f\nC /tmp\nA /tmp/x\n"
        let diff = d.berth("diff", "box")
        #expect(diff.stdout == expected, "volumes are not part of it, /proc or /etc/hosts neither: \(diff.stderr)")
        #expect(d.docker("diff", "box").stdout == expected)
        let api = Run.curl(socket: d.socket, path: "/v1.41/containers/box/changes").stdout
        let body = api.components(separatedBy: "\r\n\r\n").last ?? ""
        let list = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [[String: Any]] ?? []
        #expect(list.map { "\($0["Kind"] as? Int ?? -1) \($0["Path"] as? String ?? "")" }.prefix(3) == ["0 /bin", "2 /bin/ls", "1 /data"], "\(api)")
        #expect(d.berth("create", "--name", "fresh", "bb").status == 0)
        #expect(Run.curl(socket: d.socket, path: "/v1.41/containers/fresh/changes").stdout.hasSuffix("\r\n\r\nnull"), "nothing changed: null, as Docker")
        #expect(d.berth("diff", "fresh").stdout.isEmpty)
    }

    @Test func exportIsTheMergedFilesystemWithoutVolumes() throws {
        let d = try Fixtures.daemonWithBusybox()
        // Containers outlive berthd: a running one is removed, not left behind.
        defer { d.berth("rm", "-f", "box") }
        #expect(d.berth("run", "-d", "--name", "box", "-v", "vol:/data", "bb", "sh", "-c", Self.changes + " && echo v > /data/v && exec sleep 300").status == 0)
        var ready = false
        for _ in 0..<100 where !ready {
            ready = d.berth("exec", "box", "test", "-f", "/tmp/x").status == 0
            if !ready { usleep(100_000) }
        }
        let out = "\(d.dir)/export.tar"
        #expect(d.berth("export", "-o", out, "box").status == 0)
        let names = Set(Run.run("/bin/tar", ["-tf", out]).lines)
        #expect(names.contains("new/deep/f") && names.contains("tmp/x") && names.contains("bin/busybox") && names.contains("bin/"))
        #expect(!names.contains("bin/ls"), "deleted files are gone")
        #expect(!names.contains("data/v"), "volumes are not exported")
        #expect(!names.contains { $0.hasPrefix("proc/") && $0 != "proc/" })
        #expect(Run.sh("tar -xOf \(out) etc/passwd").stdout.hasSuffix("more\n"))
        let viaDocker = "\(d.dir)/docker.tar"
        #expect(d.docker("export", "-o", viaDocker, "box").status == 0)
        #expect(Set(Run.run("/bin/tar", ["-tf", viaDocker]).lines) == names)
    }

    @Test func commitMakesAnImageOfTheChangesOnTheSameBaseLayers() throws {
        let d = try Fixtures.daemonWithBusybox()
        // Containers outlive berthd: a running one is removed, not left behind.
        defer { d.berth("rm", "-f", "box") }
        #expect(d.berth("run", "-d", "--name", "box", "bb", "sh", "-c", Self.changes + " && exec sleep 300").status == 0)
        var ready = false
        for _ in 0..<100 where !ready {
            ready = d.berth("exec", "box", "test", "-f", "/tmp/x").status == 0
            if !ready { usleep(100_000) }
        }
        let commit = d.berth("commit", "-a", "Ada <ada@example.org>", "-m", "snapshot", "-c", "CMD [\"cat\", \"/new/deep/f\"]", "-c", "ENV MODE=committed", "box", "snap:v1")
        #expect(commit.status == 0 && commit.stdout.hasPrefix("sha256:"), "\(commit.stderr)")
        #expect(d.berth("inspect", "-f", "{{.State.Status}} {{.State.Paused}}", "box").stdout == "running false\n", "paused only while committing")
        #expect(d.berth("run", "--rm", "snap:v1").stdout == "f\n", "-c CMD takes effect")
        let run = d.berth("run", "--rm", "snap:v1", "sh", "-c", "tail -1 /etc/passwd; cat /tmp/x; ls /bin/ls 2>&1; echo $MODE")
        #expect(run.stdout == "more\nx\nls: /bin/ls: No such file or directory\ncommitted\n", "\(run.stderr)")
        let base = d.berth("inspect", "-f", "{{json .RootFS.Layers}}", "bb").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let layers = d.berth("inspect", "-f", "{{json .RootFS.Layers}}", "snap:v1").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(layers.hasPrefix(String(base.dropLast())) && layers.count > base.count, "\(base) \(layers)")
        #expect(d.berth("inspect", "-f", "{{.Author}}|{{.Comment}}", "snap:v1").stdout == "Ada <ada@example.org>|snapshot\n")
        #expect(d.berth("history", "--no-trunc", "--format", "{{.CreatedBy}}|{{.Comment}}", "snap:v1").lines.first == "sh -c \(Self.changes) && exec sleep 300|snapshot")
        #expect(d.entries("layers").filter { $0 != "l" }.count == 2, "the base layer is shared: \(d.entries("layers"))")

        // The docker CLI: an untagged commit without pausing, then a tag.
        let viaDocker = d.docker("commit", "--pause=false", "box")
        #expect(viaDocker.status == 0 && viaDocker.stdout.hasPrefix("sha256:"), "\(viaDocker.stderr)")
        #expect(d.docker("commit", "box", "snap:v2").status == 0)
        #expect(d.docker("run", "--rm", "snap:v2", "cat", "/tmp/x").stdout == "x\n")
        let bad = d.berth("commit", "-c", "RUN rm -rf /", "box", "bad")
        #expect(bad.status == 1 && bad.stderr.contains("RUN is not a valid change command"), "\(bad.stderr)")
    }
}
