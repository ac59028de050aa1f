import Foundation
import Glibc
import Testing

/// Volumes through `berth`, the real docker CLI and docker-py: persistence, pre-fill from the
/// image, anonymous volumes, `--volumes-from`, the volume verbs and their refusals.
@Suite(.serialized) struct VolumeTests {
    @Test func aFileInANamedVolumeOutlivesTheContainerThatWroteIt() throws {
        let d = try Fixtures.daemonWithBusybox()
        let w = d.berth("run", "--name", "writer", "-v", "notes:/data", "bb", "sh", "-c", "echo persisted > /data/f")
        #expect(w.status == 0, "\(w.stderr)")
        #expect(d.berth("rm", "-v", "writer").status == 0, "rm -v keeps named volumes")
        #expect(d.berth("volume", "ls", "-q").stdout == "notes\n")
        let r = d.berth("run", "--rm", "-v", "notes:/data:ro", "bb", "cat", "/data/f")
        #expect(r.stdout == "persisted\n", "\(r.stderr)")
        let mounts = d.berth("inspect", "-f", "{{range .Mounts}}{{.Type}} {{.Name}} {{.Source}} {{.Destination}} {{.Driver}} {{.Mode}} {{.RW}}{{end}}",
                             d.berth("create", "-v", "notes:/data", "bb").stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(mounts.stdout == "volume notes \(d.dataRoot)/volumes/notes/_data /data local z true\n", "\(mounts.stderr)")
    }

    @Test func anEmptyVolumeIsFilledFromTheImageOnceAndNeverOverwritten() throws {
        let d = try Fixtures.daemonWithBusybox()
        try Fixtures.importImage(d, "course", changes: ["CMD [\"sh\"]"], script: """
            mkdir -p data/sub work
            echo 'print(1)' > data/notebook.txt
            ln data/notebook.txt data/hard.txt
            ln -s notebook.txt data/link
            ln -s /etc/passwd data/outside
            mkfifo data/fifo
            chown 1000:100 data/notebook.txt work && chmod 640 data/notebook.txt && chmod 2775 data
            """)
        let first = d.berth("run", "--rm", "-v", "nb:/data", "-v", "work:/work", "course", "cat", "/data/notebook.txt")
        #expect(first.stdout == "print(1)\n", "\(first.stderr)")
        let vol = "\(d.dataRoot)/volumes/nb/_data"
        #expect(Set(d.entries("volumes/nb/_data")) == ["notebook.txt", "hard.txt", "link", "outside", "fifo", "sub"])
        var st = stat()
        #expect(lstat("\(vol)/notebook.txt", &st) == 0 && st.st_uid == 1000 && st.st_gid == 100 && st.st_mode & 0o7777 == 0o640 && st.st_nlink == 2)
        #expect(lstat(vol, &st) == 0 && st.st_mode & 0o7777 == 0o2775, "the volume root takes the image directory's mode")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: "\(vol)/outside")) == "/etc/passwd", "links are copied, not followed")
        #expect(lstat("\(vol)/fifo", &st) == 0 && st.st_mode & S_IFMT == S_IFIFO)
        #expect(lstat("\(d.dataRoot)/volumes/work/_data", &st) == 0 && st.st_uid == 1000 && st.st_gid == 100,
                "an empty image directory still gives the volume its owner, so the user can write there")

        #expect(d.berth("run", "--rm", "-v", "nb:/data", "course", "sh", "-c", "echo mine > /data/notebook.txt; rm /data/link").status == 0)
        let again = d.berth("run", "--rm", "-v", "nb:/data", "course", "sh", "-c", "cat /data/notebook.txt; ls /data")
        #expect(again.stdout == "mine\nfifo\nhard.txt\nnotebook.txt\noutside\nsub\n", "a volume with content is not refilled: \(again.stderr)")
        let nocopy = d.berth("run", "--rm", "-v", "empty:/data:nocopy", "course", "ls", "/data")
        #expect(nocopy.status == 0 && nocopy.stdout.isEmpty, "nocopy leaves the volume empty: \(nocopy.stdout)")
    }

    @Test func anImageVolumeGetsAnAnonymousVolumeThatRmVRemoves() throws {
        let d = try Fixtures.daemonWithBusybox()
        #expect(d.berth("import", "-c", "VOLUME /data", "-c", "CMD [\"sh\"]", Fixtures.busyboxTar, "withvol").status == 0)
        #expect(d.berth("run", "--name", "a1", "-v", "kept:/kept", "withvol", "sh", "-c", "echo x > /data/f").status == 0)
        let mounts = d.berth("inspect", "-f", "{{range .Mounts}}{{if eq .Destination \"/data\"}}{{.Type}} {{.Name}} {{.RW}}{{end}}{{end}}", "a1")
        let parts = mounts.stdout.split(separator: " ").map(String.init)
        #expect(parts.count == 3 && parts[0] == "volume" && parts[1].count == 64 && parts[2] == "true\n", "\(mounts.stdout)")
        let anon = parts.count > 1 ? parts[1] : ""
        #expect(d.berth("volume", "inspect", "-f", "{{json .Labels}}", anon).stdout == "{\"com.docker.volume.anonymous\":\"\"}\n")
        #expect(d.berth("rm", "-v", "a1").status == 0)
        #expect(d.berth("volume", "ls", "-q").stdout == "kept\n", "the anonymous volume went, the named one stayed")
        #expect(d.berth("run", "--rm", "withvol", "true").status == 0)
        #expect(d.berth("run", "--rm", "-v", "/scratch", "bb", "true").status == 0)
        #expect(d.berth("volume", "ls", "-q").stdout == "kept\n", "--rm removes anonymous volumes too")
        #expect(d.berth("run", "--name", "a2", "withvol", "true").status == 0)
        #expect(d.berth("rm", "a2").status == 0)
        #expect(d.berth("volume", "ls", "-q").lines.count == 2, "rm without -v keeps them")
    }

    @Test func removingAVolumeInUseIsAConflictNamingTheContainers() throws {
        let d = try Fixtures.daemonWithBusybox()
        let id = d.berth("create", "--name", "user", "-v", "used:/data", "bb").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(id.count == 64)
        let rm = d.berth("volume", "rm", "used")
        #expect(rm.status == 1)
        #expect(rm.stderr == "Error response from daemon: remove used: volume is in use - [\(id)]\n", "\(rm.stderr)")
        #expect(d.berth("volume", "rm", "-f", "used").status == 1, "force does not override use")
        let http = Run.curl(socket: d.socket, path: "/volumes/used", method: "DELETE")
        #expect(http.stdout.hasPrefix("HTTP/1.1 409"), "\(http.stdout)")
        d.stop()
        try d.start()
        #expect(d.berth("volume", "rm", "used").stderr.contains("volume is in use - [\(id)]"), "users are known again after a restart")
        #expect(d.berth("rm", "user").status == 0)
        #expect(d.berth("volume", "rm", "used").stdout == "used\n")
        #expect(d.berth("volume", "rm", "-f", "used").status == 0, "force: a missing volume is no error")
        let missing = d.berth("volume", "rm", "used")
        #expect(missing.stderr == "Error response from daemon: get used: no such volume\n")
    }

    @Test func volumeLsInspectAndPruneFollowDocker() throws {
        let d = try Fixtures.daemonWithBusybox()
        #expect(d.berth("volume", "create", "--label", "course=ml", "named1").stdout == "named1\n")
        #expect(d.berth("volume", "create", "named1").status == 0, "creating an existing name returns it")
        let anon = d.berth("volume", "create").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(anon.count == 64)
        #expect(d.berth("create", "--name", "holder", "-v", "held:/data", "bb").status == 0)
        #expect(d.berth("volume", "ls").stdout == "DRIVER    VOLUME NAME\nlocal     \(anon)\nlocal     held\nlocal     named1\n")
        #expect(d.berth("volume", "ls", "-q", "--filter", "label=course=ml").stdout == "named1\n")
        #expect(d.berth("volume", "ls", "-q", "--filter", "dangling=false").stdout == "held\n")
        #expect(d.berth("volume", "ls", "-q", "--filter", "name=^name").stdout == "named1\n")
        #expect(d.berth("volume", "ls", "-q", "--filter", "driver=local").lines.count == 3)
        #expect(d.berth("volume", "ls", "--filter", "colour=red").stderr.contains("invalid filter 'colour'"))
        let inspect = d.berth("volume", "inspect", "-f", "{{.Name}} {{.Driver}} {{.Scope}} {{.Mountpoint}} {{.Labels.course}}", "named1")
        #expect(inspect.stdout == "named1 local local \(d.dataRoot)/volumes/named1/_data ml\n", "\(inspect.stdout)")
        let json = d.berth("volume", "inspect", "named1").stdout
        #expect(json.contains("\"CreatedAt\"") && json.contains("\"Scope\""))

        let prune = d.berth("volume", "prune", "-f")
        #expect(prune.stdout == "Deleted Volumes:\n\(anon)\n\nTotal reclaimed space: 0B\n", "only anonymous volumes by default: \(prune.stdout)")
        try "12345".write(toFile: "\(d.dataRoot)/volumes/named1/_data/five", atomically: false, encoding: .utf8)
        let all = d.berth("volume", "prune", "-af")
        #expect(all.stdout == "Deleted Volumes:\nnamed1\n\nTotal reclaimed space: 5B\n", "\(all.stdout)")
        #expect(d.berth("volume", "ls", "-q").stdout == "held\n", "a volume in use is never pruned")
        #expect(!FileManager.default.fileExists(atPath: "\(d.dataRoot)/volumes/named1"))
        #expect(d.berth("system", "df", "--format", "{{.Type}} {{.TotalCount}} {{.Active}}").lines.contains("Local Volumes 1 1"))
    }

    @Test(arguments: [
        (["volume", "create", "x"], "volume name is too short"),
        (["volume", "create", "_bad"], "includes invalid characters for a local volume name"),
        (["volume", "create", "a b"], "includes invalid characters for a local volume name"),
        (["volume", "create", "-d", "nfs", "share"], "volume driver \"nfs\" is not supported by berthd"),
        (["volume", "create", "-o", "type=tmpfs", "t1"], "volume driver options are not supported by berthd (got type)"),
        (["run", "--rm", "-v", "bad/name:/data", "bb", "true"], "If you intended to pass a host directory, use absolute path"),
        (["run", "--rm", "-v", "ok1:data", "bb", "true"], "mount path must be absolute"),
        (["run", "--rm", "-v", "ok1:/data:rx", "bb", "true"], "invalid mode: rx"),
        (["run", "--rm", "-v", "ok1:/data", "-v", "ok2:/data", "bb", "true"], "Duplicate mount point: /data"),
        (["run", "--rm", "--mount", "type=volume,source=ok1,target=/d,volume-opt=o=size", "bb", "true"], "volume driver options are not supported"),
        (["run", "--rm", "--volumes-from", "nosuch", "bb", "true"], "No such container: nosuch"),
    ])
    func invalidVolumesAreRefusedWithTheReason(args: [String], message: String) throws {
        let d = try Fixtures.daemonWithBusybox()
        let r = Run.run(Binaries.berth, args, env: ["BERTH_HOST": d.host])
        #expect(r.status != 0)
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(d.berth("volume", "ls", "-q").stdout.isEmpty, "nothing was created")
    }

    @Test func volumesFromSharesBindsAndVolumesReadOnlyWhenAsked() throws {
        let d = try Fixtures.daemonWithBusybox()
        let host = "\(d.dir)/hostdir"
        try FileManager.default.createDirectory(atPath: host, withIntermediateDirectories: true)
        #expect(d.berth("create", "--name", "src", "-v", "shared:/shared", "-v", "\(host):/host", "bb").status == 0)
        let rw = d.berth("run", "--rm", "--volumes-from", "src", "bb", "sh", "-c", "echo a > /shared/a && echo b > /host/b && echo ok")
        #expect(rw.stdout == "ok\n", "\(rw.stderr)")
        #expect(FileManager.default.fileExists(atPath: "\(host)/b"))
        let ro = d.berth("run", "--rm", "--volumes-from", "src:ro", "bb", "sh", "-c", "cat /shared/a; echo c > /shared/c")
        #expect(ro.stdout == "a\n")
        #expect(ro.status != 0, "read-only through :ro")
        let id = d.berth("create", "--volumes-from", "src", "bb").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let users = d.berth("volume", "rm", "shared").stderr
        #expect(users.contains(id) && users.contains("volume is in use"), "the inheriting container uses the volume too: \(users)")
    }

    @Test func dockerCLIAndDockerPyUseNamedVolumes() throws {
        let d = try Fixtures.daemonWithBusybox()
        #expect(d.docker("volume", "create", "dv").stdout == "dv\n")
        #expect(d.docker("volume", "ls").stdout == "DRIVER    VOLUME NAME\nlocal     dv\n")
        #expect(d.docker("volume", "inspect", "-f", "{{.Mountpoint}}", "dv").stdout == "\(d.dataRoot)/volumes/dv/_data\n")
        let w = d.docker("run", "--rm", "-v", "dv:/data", "bb", "sh", "-c", "echo from docker > /data/f")
        #expect(w.status == 0, "\(w.stderr)")
        #expect(d.docker("run", "--rm", "-v", "dv:/data", "bb", "cat", "/data/f").stdout == "from docker\n")
        #expect(d.docker("run", "--rm", "-v", "implicit:/data", "bb", "true").status == 0)
        #expect(d.docker("volume", "rm", "dv", "implicit").stdout == "dv\nimplicit\n")
        #expect(d.docker("volume", "ls", "-q").stdout.isEmpty)

        let script = """
        import docker
        c = docker.DockerClient(base_url='\(d.host)')
        c.containers.run('bb', ['sh', '-c', 'echo from py > /data/f'], volumes={'pyvol': {'bind': '/data', 'mode': 'rw'}}, remove=True)
        print(c.containers.run('bb', ['cat', '/data/f'], volumes={'pyvol': {'bind': '/data', 'mode': 'ro'}}, remove=True).decode().strip())
        ctr = c.containers.create('bb', ['true'], name='spawned', volumes=['pyvol:/home/work:rw'])
        v = c.volumes.get('pyvol')
        print(v.attrs['Driver'], v.attrs['Mountpoint'].endswith('/volumes/pyvol/_data'))
        try:
            v.remove()
        except docker.errors.APIError as e:
            print(e.status_code)
        ctr.remove(v=True)
        v.remove()
        print(len(c.volumes.list()))
        """
        let r = Run.run("/usr/bin/python3", ["-c", script])
        #expect(r.stdout == "from py\nlocal True\n409\n0\n", "\(r.stderr)")
    }
}

extension Fixtures {
    /// The busybox root filesystem with what `script` adds (run inside it), imported as `name`.
    static func importImage(_ d: Daemon, _ name: String, changes: [String] = [], script: String) throws {
        let dir = "\(d.dir)/image-\(name)"
        let r = Run.sh("""
            set -e
            mkdir -p \(dir)/rootfs && tar -C \(dir)/rootfs -xf \(busyboxTar)
            cd \(dir)/rootfs
            \(script)
            tar --numeric-owner -C \(dir)/rootfs -cf \(dir)/rootfs.tar .
            """)
        guard r.status == 0 else { throw TestFailure("building \(name) failed: \(r.stderr)") }
        let imp = Run.run(Binaries.berth, ["import"] + changes.flatMap { ["-c", $0] } + ["\(dir)/rootfs.tar", name], env: ["BERTH_HOST": d.host])
        guard imp.status == 0 else { throw TestFailure("import of \(name) failed: \(imp.stderr)") }
    }
}
