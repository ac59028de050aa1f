import Foundation
import Testing

/// Containers through `berth`: lifecycle, output, exit codes, exec, hardening, mounts.
@Suite(.serialized) struct ContainerTests {
    @Test func runPrintsOutputReturnsTheExitCodeAndRemovesWithRm() throws {
        let d = try Fixtures.daemonWithBusybox()
        let r = d.berth("run", "--rm", "bb", "sh", "-c", "echo out; echo err >&2; exit 3")
        #expect(r.status == 3, "\(r.stderr)")
        #expect(r.stdout == "out\n")
        #expect(r.stderr.contains("err\n"))
        #expect(d.berth("ps", "-aq").stdout.isEmpty, "--rm removed it")
    }

    @Test(arguments: [
        (["nope"], Int32(127), "executable file not found in $PATH"),
        (["/bin/nope"], Int32(127), "no such file or directory"),
        (["/etc/passwd"], Int32(126), "permission denied"),
    ])
    func startFailuresUseDockersExitCodes(command: [String], code: Int32, message: String) throws {
        let d = try Fixtures.daemonWithBusybox()
        let r = Run.run(Binaries.berth, ["run", "--name", "fail1", "bb"] + command, env: ["BERTH_HOST": d.host])
        #expect(r.status == code, "\(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(d.berth("inspect", "-f", "{{.State.ExitCode}}", "fail1").stdout == "\(code)\n")
    }

    @Test func detachedContainerShowsInPsLogsAndStopsWithKillAfterGrace() throws {
        let d = try Fixtures.daemonWithBusybox()
        let run = d.berth("run", "-d", "--name", "web", "bb", "sh", "-c", "echo started; exec sleep 1000")
        #expect(run.status == 0, "\(run.stderr)")
        let id = run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(id.count == 64)
        let ps = d.berth("ps", "--format", "{{.Names}} {{.Status}} {{.Command}}")
        #expect(ps.stdout.hasPrefix("web Up "), "\(ps.stdout)")
        #expect(d.berth("inspect", "-f", "{{.State.Running}} {{.Config.Hostname}}", "web").stdout == "true \(id.prefix(12))\n")
        var logs = ""
        for _ in 0..<50 where logs.isEmpty {
            logs = d.berth("logs", "web").stdout
            usleep(100_000)
        }
        #expect(logs == "started\n")
        // sleep as PID 1 has no SIGTERM handler, so the kernel ignores TERM: stop kills after 1s.
        #expect(d.berth("stop", "-t", "1", "web").stdout == "web\n")
        #expect(d.berth("ps", "-a", "--format", "{{.Status}}").stdout.hasPrefix("Exited (137)"))
        let rmRunning = d.berth("rm", "web")
        #expect(rmRunning.status == 0, "a stopped container removes without -f: \(rmRunning.stderr)")
        #expect(d.berth("ps", "-aq").stdout.isEmpty)
    }

    @Test func killDeliversTheSignalAndWaitReportsTheCode() throws {
        let d = try Fixtures.daemonWithBusybox()
        #expect(d.berth("run", "-d", "--name", "trap1", "bb", "sh", "-c", "trap 'exit 7' USR1; while true; do sleep 0.1; done").status == 0)
        usleep(300_000)
        #expect(d.berth("kill", "-s", "USR1", "trap1").status == 0)
        #expect(d.berth("wait", "trap1").stdout == "7\n")
        let notRunning = d.berth("kill", "trap1")
        #expect(notRunning.status != 0)
        #expect(notRunning.stderr.contains("is not running"))
    }

    @Test func removingARunningContainerNeedsForce() throws {
        let d = try Fixtures.daemonWithBusybox()
        #expect(d.berth("run", "-d", "--name", "busy", "bb", "sleep", "1000").status == 0)
        let refused = d.berth("rm", "busy")
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("container is running"))
        #expect(d.berth("rm", "-f", "busy").status == 0)
        #expect(d.berth("ps", "-aq").stdout.isEmpty)
        let dup = d.berth("create", "--name", "xx", "bb")
        #expect(dup.status == 0)
        let taken = d.berth("create", "--name", "xx", "bb")
        #expect(taken.stderr.contains("is already in use"))
        #expect(d.berth("rmi", "bb").stderr.contains("is using its referenced image"), "an image in use stays")
    }

    @Test func execRunsInsideTheContainerWithItsOwnExitCode() throws {
        let d = try Fixtures.daemonWithBusybox()
        #expect(d.berth("run", "-d", "--name", "c1", "-e", "FROM_RUN=1", "bb", "sleep", "1000").status == 0)
        let e = d.berth("exec", "-e", "X=2", "c1", "sh", "-c", "echo $FROM_RUN$X $(hostname); exit 4")
        #expect(e.status == 4, "\(e.stderr)")
        #expect(e.stdout.hasPrefix("12 "))
        #expect(d.berth("exec", "-u", "nobody", "c1", "id", "-u").stdout == "65534\n")
        #expect(d.berth("exec", "-w", "/tmp", "c1", "pwd").stdout == "/tmp\n")
        let missing = d.berth("exec", "c1", "nope")
        #expect(missing.status == 127 || missing.stderr.contains("not found"), "\(missing.stderr)")
        #expect(d.berth("rm", "-f", "c1").status == 0)
    }

    /// `--security-opt seccomp=FILE`: the shim applies the file's rules (getcwd denied with
    /// ENOSYS breaks `pwd`); a file with a JSON syntax error is refused by berthd, which names
    /// the line and column, before any shim reads it. (The CLI sends the file's content, as
    /// docker does, so berthd cannot name the file.)
    @Test func aSeccompProfileFileAppliesAndABrokenOneSaysWhere() throws {
        let d = try Fixtures.daemonWithBusybox()
        let good = "\(d.dir)/deny-getcwd.json", bad = "\(d.dir)/broken.json"
        try #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}"#
            .write(toFile: good, atomically: true, encoding: .utf8)
        try "{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n \"syscalls\": [,]}".write(toFile: bad, atomically: true, encoding: .utf8)
        #expect(d.berth("run", "--rm", "bb", "pwd").stdout == "/\n")
        let denied = d.berth("run", "--rm", "--security-opt", "seccomp=\(good)", "bb", "pwd")
        #expect(denied.status != 0 && denied.stdout.isEmpty, "\(denied.stdout)\(denied.stderr)")
        let broken = d.berth("run", "--rm", "--security-opt", "seccomp=\(bad)", "bb", "true")
        #expect(broken.status != 0 && broken.stderr.contains("line 2, column"), "\(broken.stderr)")
        #expect(broken.stderr.contains("seccomp profile given with --security-opt"), "\(broken.stderr)")
    }

    @Test func defaultHardeningIsVisibleFromInside() throws {
        let d = try Fixtures.daemonWithBusybox()
        let status = d.berth("run", "--rm", "bb", "cat", "/proc/self/status")
        #expect(status.stdout.contains("CapEff:\t00000000a80425fb"), "Docker's default capabilities: \(status.stdout)")
        #expect(status.stdout.contains("CapBnd:\t00000000a80425fb"))
        #expect(status.stdout.contains("NoNewPrivs:\t0"))
        let kcore = d.berth("run", "--rm", "bb", "sh", "-c", "head -c1 /proc/kcore | wc -c")
        #expect(kcore.stdout == "0\n", "/proc/kcore is masked")
        #expect(d.berth("run", "--rm", "bb", "sh", "-c", "echo 1 > /proc/sys/kernel/domainname").status != 0, "/proc/sys is read-only")
        let pid = d.berth("run", "--rm", "bb", "sh", "-c", "echo $$")
        #expect(pid.stdout == "1\n", "the command is PID 1 of its own pid namespace")
        let fds = d.berth("run", "--rm", "bb", "ls", "/proc/self/fd")
        #expect(fds.lines.sorted() == ["0", "1", "2", "3"], "no host descriptors leak in: \(fds.stdout)")
        let priv = d.berth("run", "--rm", "--privileged", "bb", "cat", "/proc/self/status")
        #expect(!priv.stdout.contains("CapEff:\t00000000a80425fb"))
        let dropped = d.berth("run", "--rm", "--cap-drop", "ALL", "bb", "cat", "/proc/self/status")
        #expect(dropped.stdout.contains("CapEff:\t0000000000000000"))
        let nnp = d.berth("run", "--rm", "--security-opt", "no-new-privileges", "bb", "cat", "/proc/self/status")
        #expect(nnp.stdout.contains("NoNewPrivs:\t1"))
    }

    @Test func userWorkdirHostnameEnvAndEntrypointFollowDocker() throws {
        let d = try Fixtures.daemonWithBusybox()
        #expect(d.berth("run", "--rm", "-u", "nobody", "bb", "id").stdout == "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n")
        #expect(d.berth("run", "--rm", "-u", "1234:5678", "bb", "id", "-u").stdout == "1234\n")
        #expect(d.berth("run", "--rm", "-w", "/new/dir", "bb", "pwd").stdout == "/new/dir\n")
        #expect(d.berth("run", "--rm", "-h", "box", "bb", "hostname").stdout == "box\n")
        #expect(d.berth("run", "--rm", "-e", "A=b", "bb", "sh", "-c", "echo $A").stdout == "b\n")
        #expect(d.berth("run", "--rm", "--entrypoint", "echo", "bb", "via", "entrypoint").stdout == "via entrypoint\n")
        let unknown = d.berth("run", "--rm", "-u", "nosuchuser", "bb", "true")
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("unable to find user nosuchuser"), "\(unknown.stderr)")
    }

    @Test func bindMountsAndTmpfsWork() throws {
        let d = try Fixtures.daemonWithBusybox()
        let host = "\(d.dir)/shared"
        try FileManager.default.createDirectory(atPath: host, withIntermediateDirectories: true)
        try "from host\n".write(toFile: "\(host)/in.txt", atomically: true, encoding: .utf8)
        let r = d.berth("run", "--rm", "-v", "\(host):/data", "bb", "sh", "-c", "cat /data/in.txt; echo from container > /data/out.txt")
        #expect(r.stdout == "from host\n", "\(r.stderr)")
        #expect(try String(contentsOfFile: "\(host)/out.txt", encoding: .utf8) == "from container\n", "the file outlives the container")
        let ro = d.berth("run", "--rm", "-v", "\(host):/data:ro", "bb", "sh", "-c", "echo x > /data/y")
        #expect(ro.status != 0)
        #expect(!FileManager.default.fileExists(atPath: "\(host)/y"))
        #expect(d.berth("run", "--rm", "--tmpfs", "/scratch", "bb", "sh", "-c", "grep ' /scratch ' /proc/mounts | cut -d' ' -f3").stdout == "tmpfs\n")
        let readOnly = d.berth("run", "--rm", "--read-only", "bb", "touch", "/x")
        #expect(readOnly.status != 0)
    }

    @Test func logsFollowTailAndTimestamps() throws {
        let d = try Fixtures.daemonWithBusybox()
        #expect(d.berth("run", "--name", "log1", "bb", "sh", "-c", "for i in 1 2 3 4 5; do echo line$i; done; echo oops >&2").status == 0)
        #expect(d.berth("logs", "log1").stdout == "line1\nline2\nline3\nline4\nline5\n")
        #expect(d.berth("logs", "log1").stderr == "oops\n")
        #expect(d.berth("logs", "--tail", "2", "log1").stdout == "line5\n", "the last 2 lines are line5 and oops (on stderr)")
        let ts = d.berth("logs", "-t", "log1").lines.first ?? ""
        #expect(ts.hasSuffix(" line1") && ts.hasPrefix("20"), "\(ts)")
        let raw = try String(contentsOfFile: d.berth("inspect", "-f", "{{.LogPath}}", "log1").stdout.trimmingCharacters(in: .whitespacesAndNewlines), encoding: .utf8)
        #expect(raw.hasPrefix("{\"log\":\"line1\\n\",\"stream\":\"stdout\",\"time\":\""), "Docker's json-file format: \(raw.prefix(80))")
    }

    /// berthd starts every shim from one sealed memfd copy of berth-shim: the shims run sealed
    /// (a container can never reach the host's binary through /proc/<pid>/exe) and share one
    /// copy of its pages rather than each making its own.
    @Test func shimsRunFromOneSharedSealedCopy() throws {
        let d = try Fixtures.daemonWithBusybox()
        var copies: Set<UInt64> = []
        for name in ["s1", "s2"] {
            #expect(d.berth("run", "-d", "--name", name, "bb", "sleep", "1000").status == 0)
            let pid = d.berth("inspect", "-f", "{{.State.Pid}}", name).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
            let shim = try #require(status.split(separator: "\n").first { $0.hasPrefix("PPid:") }?.split(separator: "\t").last)
            let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(shim)/exe")
            #expect(exe.hasPrefix("/memfd:berth-shim"), "shim \(shim) runs \(exe)")
            var st = stat()
            #expect(stat("/proc/\(shim)/exe", &st) == 0)
            copies.insert(UInt64(st.st_ino))
        }
        #expect(copies.count == 1, "both shims map the same sealed copy")
    }

    @Test func containersSurviveADaemonCrash() throws {
        let d = try Fixtures.daemonWithBusybox()
        #expect(d.berth("run", "-d", "--name", "live", "bb", "sh", "-c", "echo before; sleep 1000").status == 0)
        #expect(d.berth("run", "-d", "--name", "short", "bb", "sh", "-c", "sleep 1; exit 5").status == 0)
        d.kill9()
        sleep(2)
        try d.start()
        #expect(d.berth("inspect", "-f", "{{.State.Status}}", "live").stdout == "running\n")
        #expect(d.berth("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "short").stdout == "exited 5\n", "the real exit code of a container that exited meanwhile")
        #expect(d.berth("exec", "live", "echo", "still here").stdout == "still here\n")
        #expect(d.berth("logs", "live").stdout == "before\n")
        #expect(d.berth("stop", "-t", "0", "live").status == 0)
        #expect(d.berth("inspect", "-f", "{{.State.Status}}", "live").stdout == "exited\n")
    }
}
