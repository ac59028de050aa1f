import Foundation
import Glibc
import Testing

/// `cp` and the archive endpoints: both directions on stopped and running containers, Docker's
/// rules for names, volumes and binds, and the promise that no symlink or archive entry leads
/// a read or a write out of the container.
@Suite(.serialized) struct CopyTests {
    /// A host directory with a file and a small tree to copy in.
    static func hostFiles(_ d: Daemon) throws -> String {
        let dir = "\(d.dir)/host"
        let r = Run.sh("""
            set -e
            mkdir -p \(dir)/tree/sub
            echo hello > \(dir)/file.txt
            echo a > \(dir)/tree/a
            echo b > \(dir)/tree/sub/b
            chown 1234:5678 \(dir)/file.txt
            """)
        guard r.status == 0 else { throw TestFailure(r.stderr) }
        return dir
    }

    @Test(arguments: [false, true])
    func filesAndDirectoriesGoBothWays(running: Bool) throws {
        let d = try Fixtures.daemonWithBusybox()
        // Containers outlive berthd: a running one is removed, not left behind.
        defer { d.berth("rm", "-f", "box") }
        let host = try Self.hostFiles(d)
        let c = running ? d.berth("run", "-d", "--name", "box", "bb", "sleep", "300") : d.berth("create", "--name", "box", "bb", "sleep", "300")
        #expect(c.status == 0, "\(c.stderr)")

        #expect(d.berth("cp", "\(host)/file.txt", "box:/tmp/").status == 0, "into an existing directory")
        #expect(d.berth("cp", "\(host)/file.txt", "box:/tmp/renamed.txt").status == 0, "to a new name")
        #expect(d.berth("cp", "\(host)/tree", "box:/copied").status == 0, "a directory to a new name")
        #expect(d.berth("cp", "\(host)/tree", "box:/tmp").status == 0, "a directory into a directory")
        let content = d.berth("cp", "\(host)/tree/.", "box:/root")
        #expect(content.status == 0, "dir/. copies the content: \(content.stderr)")

        let out = "\(d.dir)/out"
        #expect(mkdir(out, 0o755) == 0)
        #expect(d.berth("cp", "box:/tmp/renamed.txt", "\(out)/back.txt").status == 0)
        #expect(d.berth("cp", "box:/copied", "\(out)/").status == 0)
        #expect(d.berth("cp", "box:/root/.", "\(out)/rootcontent").status == 0)
        #expect(d.berth("cp", "box:/tmp/tree/sub", out).status == 0)
        let listing = Run.sh("cd \(out) && find . | sort && cat back.txt copied/sub/b rootcontent/a")
        #expect(listing.stdout == """
            .
            ./back.txt
            ./copied
            ./copied/a
            ./copied/sub
            ./copied/sub/b
            ./rootcontent
            ./rootcontent/a
            ./rootcontent/sub
            ./rootcontent/sub/b
            ./sub
            ./sub/b
            hello
            b
            a

            """, "\(listing.stderr)")

        // The container sees the copies (for a stopped one: they were written to its layer).
        if !running { #expect(d.berth("start", "box").status == 0) }
        let inside = d.berth("exec", "box", "sh", "-c", "cat /tmp/file.txt /copied/sub/b /tmp/tree/a /root/a; stat -c '%u:%g' /tmp/file.txt")
        #expect(inside.stdout == "hello\nb\na\na\n1234:5678\n", "owners come from the archive: \(inside.stderr)")
        #expect(d.berth("exec", "box", "sh", "-c", "echo made-inside > /tmp/inside").status == 0)
        #expect(d.berth("cp", "box:/tmp/inside", "\(out)/inside").status == 0)
        #expect((try? String(contentsOfFile: "\(out)/inside", encoding: .utf8)) == "made-inside\n")
    }

    @Test func errorsAreDockers() throws {
        let d = try Fixtures.daemonWithBusybox()
        // Containers outlive berthd: a running one is removed, not left behind.
        defer { d.berth("rm", "-f", "box") }
        let host = try Self.hostFiles(d)
        #expect(d.berth("create", "--name", "box", "bb").status == 0)
        let missing = d.berth("cp", "box:/nope", "\(d.dir)/x")
        #expect(missing.status == 1)
        #expect(missing.stderr == "Error response from daemon: Could not find the file /nope in container box\n", "\(missing.stderr)")
        let noParent = d.berth("cp", "\(host)/file.txt", "box:/no/such/dir")
        #expect(noParent.stderr == "Error response from daemon: Could not find the file /no/such in container box\n", "\(noParent.stderr)")
        let dirOntoFile = d.berth("cp", "\(host)/tree", "box:/etc/passwd")
        #expect(dirOntoFile.stderr == "cannot copy directory\n", "\(dirOntoFile.stderr)")
        let fileAsDir = d.berth("cp", "\(host)/file.txt", "box:/newdir/")
        #expect(fileAsDir.stderr == "no such directory\n", "\(fileAsDir.stderr)")
        let noContainer = d.berth("cp", "\(host)/file.txt", "ghost:/tmp")
        #expect(noContainer.stderr == "Error response from daemon: No such container: ghost\n", "\(noContainer.stderr)")
        #expect(d.berth("cp", "\(host)/file.txt", "\(host)/x").stderr == "must specify at least one container source\n")
        #expect(d.berth("cp", "a:/x", "b:/y").stderr == "copying between containers is not supported\n")
        let notDir = Run.curl(socket: d.socket, path: "/v1.41/containers/box/archive?path=/etc/passwd", method: "PUT",
                              extra: ["--data-binary", "@\(Fixtures.busyboxTar)"])
        #expect(notDir.stdout.contains("HTTP/1.1 400 ") && notDir.stdout.contains("extraction point is not a directory"), "\(notDir.stdout)")
    }

    @Test func volumesAndBindsAreCopiedThroughAndReadOnlyOnesRefused() throws {
        let d = try Fixtures.daemonWithBusybox()
        // Containers outlive berthd: a running one is removed, not left behind.
        defer { d.berth("rm", "-f", "box") }
        let host = try Self.hostFiles(d)
        let bind = "\(d.dir)/bind"
        #expect(mkdir(bind, 0o755) == 0)
        #expect(d.berth("create", "--name", "box", "-v", "vol:/data", "-v", "\(bind):/ro:ro", "bb").status == 0)
        #expect(d.berth("cp", "\(host)/file.txt", "box:/data/").status == 0)
        #expect((try? String(contentsOfFile: "\(d.dataRoot)/volumes/vol/_data/file.txt", encoding: .utf8)) == "hello\n",
                "a stopped container's volume is reachable")
        let ro = d.berth("cp", "\(host)/file.txt", "box:/ro/")
        #expect(ro.stderr == "Error response from daemon: mounted volume is marked read-only\n", "\(ro.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(bind)/file.txt"))
        #expect(Run.sh("echo from-host > \(bind)/h").status == 0)
        #expect(d.berth("cp", "box:/ro/h", "\(d.dir)/h").status == 0)
        #expect((try? String(contentsOfFile: "\(d.dir)/h", encoding: .utf8)) == "from-host\n")
        #expect(d.berth("create", "--name", "readonly", "--read-only", "bb").status == 0)
        let rofs = d.berth("cp", "\(host)/file.txt", "readonly:/tmp/")
        #expect(rofs.stderr == "Error response from daemon: container rootfs is marked read-only\n", "\(rofs.stderr)")
        // Nothing stays mounted on the host, and the container still starts (its overlay is free).
        #expect(!Run.sh("cat /proc/self/mountinfo").stdout.contains(d.dataRoot))
        #expect(d.berth("start", "-a", "box").status == 0)
    }

    @Test(arguments: [false, true])
    func symlinksInTheContainerNeverLeadOutOfIt(running: Bool) throws {
        let d = try Fixtures.daemonWithBusybox()
        // Containers outlive berthd: a running one is removed, not left behind.
        defer { d.berth("rm", "-f", "box") }
        let host = try Self.hostFiles(d)
        let canary = "\(d.dir)/canary"
        #expect(Run.sh("mkdir -p \(canary) && echo host > \(canary)/keep").status == 0)
        let links = "ln -s /etc /evil; ln -s ../../../../../../.. /up; ln -s \(canary) /canary; ln -s \(canary)/keep /keeplink; mkdir /d"
        if running {
            #expect(d.berth("run", "-d", "--name", "box", "bb", "sh", "-c", links + "; exec sleep 300").status == 0)
            var ready = false
            for _ in 0..<100 where !ready {
                ready = d.berth("exec", "box", "test", "-d", "/d").status == 0
                if !ready { usleep(100_000) }
            }
            #expect(ready)
        } else {
            #expect(d.berth("run", "--name", "box", "bb", "sh", "-c", links).status == 0)
        }
        let before = Run.sh("ls -ln \(canary); cat \(canary)/keep; ls /etc | wc -l").stdout

        // Writes follow the container's links only inside it.
        #expect(d.berth("cp", "\(host)/file.txt", "box:/evil/").status == 0)
        #expect(!FileManager.default.fileExists(atPath: "/etc/file.txt"))
        #expect(d.berth("cp", "box:/etc/file.txt", "-").stdout.contains("hello"), "it landed in the container's /etc")
        #expect(d.berth("cp", "\(host)/file.txt", "box:/up\(canary)/").status == 1)
        #expect(d.berth("cp", "\(host)/file.txt", "box:/canary/").status == 1)
        _ = d.berth("cp", "\(host)/file.txt", "box:/keeplink")
        let tarThroughLink = "\(d.dir)/through.tar"
        #expect(Run.sh("cd \(d.dir) && mkdir -p t/canary && echo evil > t/canary/keep && tar -C t -cf \(tarThroughLink) canary/keep").status == 0)
        let through = d.berth("cp", "-", "box:/", stdin: tarThroughLink)
        #expect(through.status == 1 && through.stderr.contains("refusing"), "\(through.stderr)")

        // Reads resolve the same way: /up/etc/passwd is the container's passwd, not the host's.
        let passwd = d.berth("cp", "box:/up/etc/passwd", "-")
        #expect(passwd.stdout.contains("nobody:x:65534") && !passwd.stdout.contains("daemon:"), "\(passwd.stderr)")
        let outside = d.berth("cp", "box:/canary/keep", "\(d.dir)/stolen")
        #expect(outside.status == 1 && !FileManager.default.fileExists(atPath: "\(d.dir)/stolen"))
        #expect(d.berth("cp", "box:/keeplink", "\(d.dir)/link").status == 0)
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: "\(d.dir)/link")) == "\(canary)/keep", "a link is copied as a link")
        #expect(d.berth("cp", "-L", "box:/keeplink", "\(d.dir)/followed").status == 1, "-L follows it inside the container, where it dangles")

        #expect(Run.sh("ls -ln \(canary); cat \(canary)/keep; ls /etc | wc -l").stdout == before)
    }

    /// CVE-2018-15664: the container swaps a directory for a symlink out of it while copies run.
    @Test func aSymlinkSwappedInDuringCopiesNeverLeadsOut() throws {
        let d = try Fixtures.daemonWithBusybox()
        // Containers outlive berthd: a running one is removed, not left behind.
        defer { d.berth("rm", "-f", "box") }
        let host = try Self.hostFiles(d)
        let canary = "\(d.dir)/canary"
        #expect(Run.sh("mkdir -p \(canary) && echo host-secret > \(canary)/keep").status == 0)
        let swap = "while true; do rm -rf /data; ln -s ../../../../../../../..\(canary) /data; rm -f /data; mkdir /data; echo inside > /data/keep; done"
        #expect(d.berth("run", "-d", "--name", "box", "bb", "sh", "-c", swap).status == 0)
        var landed = 0
        for _ in 0..<50 {
            if d.berth("cp", "\(host)/file.txt", "box:/data/").status == 0 { landed += 1 }
            let read = d.berth("cp", "box:/data/keep", "-")
            #expect(!read.stdout.contains("host-secret"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: canary) == ["keep"], "\(landed) copies landed, none on the host")
        #expect((try? String(contentsOfFile: "\(canary)/keep", encoding: .utf8)) == "host-secret\n")
    }

    @Test func archivesWithDotDotOrAWayOutAreRefused() throws {
        let d = try Fixtures.daemonWithBusybox()
        // Containers outlive berthd: a running one is removed, not left behind.
        defer { d.berth("rm", "-f", "box") }
        let canary = "\(d.dir)/canary"
        #expect(Run.sh("mkdir -p \(canary) && echo host > \(canary)/keep").status == 0)
        #expect(d.berth("create", "--name", "box", "bb").status == 0)
        for (name, path) in TraversalTars.make(aimedAt: canary, in: d.dir) {
            let r = d.berth("cp", "-", "box:/tmp", stdin: path)
            #expect(r.status == 1 && r.stderr.contains("refusing"), "\(name): \(r.stderr)")
        }
        #expect((try? String(contentsOfFile: "\(canary)/keep", encoding: .utf8)) == "host\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: canary) == ["keep"])
    }

    @Test func theStatHeaderIsDockers() throws {
        let d = try Fixtures.daemonWithBusybox()
        // Containers outlive berthd: a running one is removed, not left behind.
        defer { d.berth("rm", "-f", "box") }
        #expect(d.berth("run", "--name", "box", "bb", "sh", "-c", "echo hello > /tmp/f; chmod 640 /tmp/f; ln -s /tmp/f /tmp/l").status == 0)
        func stat(_ path: String) -> [String: Any]? {
            let r = Run.run("/usr/bin/curl", ["-s", "-I", "--unix-socket", d.socket, "http://localhost/v1.41/containers/box/archive?path=\(path)"])
            guard let line = r.stdout.split(separator: "\r\n").first(where: { $0.hasPrefix("X-Docker-Container-Path-Stat: ") }),
                  let data = Data(base64Encoded: String(line.dropFirst("X-Docker-Container-Path-Stat: ".count))) else { return nil }
            return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        }
        let f = stat("/tmp/f")
        #expect(f?["name"] as? String == "f" && f?["size"] as? Int == 6 && f?["mode"] as? Int == 0o640 && f?["linkTarget"] as? String == "")
        #expect((f?["mtime"] as? String)?.hasSuffix("Z") == true)
        let dir = stat("/tmp/")
        #expect(dir?["name"] as? String == "tmp" && (dir?["mode"] as? Int).map { $0 & (1 << 31) != 0 } == true, "\(String(describing: dir))")
        let link = stat("/tmp/l")
        #expect(link?["linkTarget"] as? String == "/tmp/f" && (link?["mode"] as? Int).map { $0 & (1 << 27) != 0 } == true)
        let missing = Run.run("/usr/bin/curl", ["-s", "-I", "--unix-socket", d.socket, "http://localhost/v1.41/containers/box/archive?path=/nope"])
        #expect(missing.stdout.hasPrefix("HTTP/1.1 404"))
    }

    @Test func dockerCLICopiesInAndOut() throws {
        let d = try Fixtures.daemonWithBusybox()
        // Containers outlive berthd: a running one is removed, not left behind.
        defer { d.berth("rm", "-f", "box") }
        let host = try Self.hostFiles(d)
        #expect(d.berth("run", "-d", "--name", "box", "-u", "nobody", "bb", "sleep", "300").status == 0)
        #expect(d.docker("cp", "\(host)/file.txt", "box:/tmp/").status == 0)
        #expect(d.docker("cp", "-a", "\(host)/tree", "box:/tmp/t").status == 0)
        #expect(d.berth("exec", "box", "sh", "-c", "cat /tmp/file.txt; stat -c '%u' /tmp/file.txt /tmp/t/sub/b").stdout == "hello\n1234\n65534\n",
                "-a gives the files to the container's user")
        #expect(d.docker("cp", "box:/tmp/t", "\(d.dir)/back").status == 0)
        #expect((try? String(contentsOfFile: "\(d.dir)/back/sub/b", encoding: .utf8)) == "b\n")
        let missing = d.docker("cp", "box:/nope", "\(d.dir)/x")
        #expect(missing.status != 0 && missing.stderr.contains("/nope"), "\(missing.stderr)")
        #expect(d.docker("stop", "-t", "0", "box").status == 0)
        #expect(d.docker("cp", "\(host)/file.txt", "box:/tmp/after-stop").status == 0)
        #expect(d.docker("cp", "box:/tmp/after-stop", "-").stdout.contains("hello"))
    }

    @Test func dockerPyPutArchiveReachesTheVolumeOfAnExitedContainer() throws {
        let d = try Fixtures.daemonWithBusybox()
        // Containers outlive berthd: a running one is removed, not left behind.
        defer { d.berth("rm", "-f", "box") }
        // DockerSpawner's move_certs, as docker-py sends it.
        let script = """
        import docker, io, tarfile
        api = docker.APIClient(base_url='\(d.host)')
        api.create_volume(name='certs')
        c = api.create_container('bb', 'sh', volumes=['/certs'], host_config=api.create_host_config(binds=['certs:/certs']))
        api.start(c['Id'])
        api.wait(c['Id'])
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode='w') as t:
            data = b'CERT'
            info = tarfile.TarInfo('notebook.crt'); info.size = len(data); t.addfile(info, io.BytesIO(data))
        print(api.put_archive(c['Id'], '/certs', buf.getvalue()))
        stream, stat = api.get_archive(c['Id'], '/certs/notebook.crt')
        print(stat['name'], stat['size'])
        api.remove_container(c['Id'])
        print('removed')
        """
        let r = Run.run("/usr/bin/python3", ["-c", script])
        #expect(r.stdout == "True\nnotebook.crt 4\nremoved\n", "\(r.stderr)")
        #expect((try? String(contentsOfFile: "\(d.dataRoot)/volumes/certs/_data/notebook.crt", encoding: .utf8)) == "CERT")
    }
}
