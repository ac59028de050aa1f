import Foundation
import Glibc
import Testing

/// Issue 8's runtime escapes and API abuse, against a private berthd (docs/security-suite.md
/// maps each test to the checklist line it holds; resource exhaustion is ResourceExhaustionTests).
@Suite(.serialized) struct AttackTests {
    // MARK: Runtime escapes

    /// CVE-2019-5736: a container that execs `#!/proc/self/exe` runs the shim's own image and
    /// writes through every /proc/<pid>/exe it can see; the host's berth-shim and berthd stay
    /// byte for byte the same. The writer must have met the shim's image — the sealed memfd
    /// copy — and been refused: `/evil` runs it as `berth-shim --view`, which waits on its
    /// stdin (held open a second) before it exits. The host's library directories are bound
    /// in read-only so that the dynamically linked shim can run there at all.
    @Test func procSelfExeWritersNeverReachTheShimOrBerthd() throws {
        let shim = "\(Binaries.buildDir)/berth-shim"
        let before = [Fixtures.sha256(file: shim), Fixtures.sha256(file: Binaries.berthd)]
        let d = try Fixtures.daemonWithBusybox()
        // ldd's lines: `libc.so.6 => /lib/…/libc.so.6 (0x…)`, `\t/lib64/ld-linux-x86-64.so.2 (0x…)`.
        let libraries = Set(Run.run("/usr/bin/ldd", [shim]).stdout.split(separator: "\n").compactMap { line -> String? in
            guard let path = line.split(whereSeparator: \.isWhitespace).first(where: { $0.hasPrefix("/") }) else { return nil }
            return (String(path) as NSString).deletingLastPathComponent
        })
        let binds = libraries.sorted().flatMap { ["-v", "\($0):\($0):ro"] }
        let writer = """
        printf '#!/proc/self/exe --view\\n' > /evil; chmod +x /evil
        while :; do
          for f in /proc/[0-9]*/exe; do
            l=$(readlink $f)
            if (echo pwned >> "$f") 2>/dev/null; then echo "$f $l" >> /hits
            else case "$l" in *berth*) echo "refused $l" >> /seen;; esac; fi
          done
          usleep 20000
        done
        """
        let run = Run.run(Binaries.berth, ["run", "-d", "--name", "exe-attack", "--network", "none"] + binds + ["bb", "sh", "-c", writer],
                          env: ["BERTH_HOST": d.host])
        #expect(run.status == 0, "\(run.stderr)")
        for _ in 0..<3 {
            // Each exec runs the shim's image inside the container, with the writer looping.
            Run.sh("sleep 1 | BERTH_HOST=\(d.host) \(Binaries.berth) exec -i exe-attack /evil")
            d.berth("exec", "exe-attack", "sh", "-c", "exec 3</proc/self/exe; cat /proc/self/exe > /dev/null; echo pwned > /proc/self/fd/3")
        }
        let hits = d.berth("exec", "exe-attack", "sh", "-c", "cat /hits 2>/dev/null").stdout
        let seen = d.berth("exec", "exe-attack", "sh", "-c", "sort -u /seen 2>/dev/null").stdout
        #expect(seen.contains("refused /memfd:berth-shim"), "the writer opened the shim's sealed image: \(seen)")
        #expect([Fixtures.sha256(file: shim), Fixtures.sha256(file: Binaries.berthd)] == before, "hits: \(hits)")
        #expect(!hits.contains("berth"), "no write reached a berth binary: \(hits)")
        #expect(d.berth("rm", "-f", "exe-attack").status == 0)
    }

    /// CVE-2024-21626: the init and an exec'd process hold nothing of the host's; only their
    /// stdio (scanned from the host, so nothing in the container can hide an fd).
    @Test func initAndExecHoldOnlyTheirStdio() throws {
        let d = try Fixtures.daemonWithBusybox()
        #expect(d.berth("run", "-d", "--name", "fds", "bb", "sleep", "1000").status == 0)
        let initPid = try #require(Int32(d.berth("inspect", "-f", "{{.State.Pid}}", "fds").stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(Self.fds(initPid) == ["0", "1", "2"], "init: \(Self.fdLinks(initPid))")
        #expect(d.berth("exec", "-d", "fds", "sleep", "1001").status == 0)
        // Scanned once it runs `sleep 1001` (after execve, when CLOEXEC descriptors are gone).
        var procs: [Int32] = [], exec: Int32?
        for _ in 0..<50 where exec == nil {
            procs = HostProcess.cgroupProcs(initPid)
            exec = procs.first { $0 != initPid && HostProcess.read("/proc/\($0)/cmdline").split(separator: "\0").joined(separator: " ") == "sleep 1001" }
            if exec == nil { usleep(100_000) }
        }
        #expect(exec != nil, "the exec'd sleep is in the container's cgroup: \(procs)")
        if let exec { #expect(Self.fds(exec) == ["0", "1", "2"], "exec: \(Self.fdLinks(exec))") }
        let inside = d.berth("exec", "fds", "ls", "/proc/1/fd")
        #expect(inside.lines == ["0", "1", "2"], "\(inside.stdout)\(inside.stderr)")
        #expect(d.berth("rm", "-f", "fds").status == 0)
    }

    /// CVE-2024-21626 through the image: `WORKDIR /proc/self/fd/N` fails to start.
    @Test func workdirThroughProcSelfFdFromTheImageIsRefused() throws {
        let d = try Fixtures.daemonWithBusybox()
        #expect(d.berth("import", "-c", "WORKDIR /proc/self/fd/7", Fixtures.busyboxTar, "wd:7").status == 0)
        let image = d.berth("run", "--rm", "--network", "none", "wd:7", "pwd")
        #expect(image.status != 0 && image.stdout.isEmpty, "\(image.stdout)\(image.stderr)")
        for fd in [3, 4, 5, 8] {
            let api = d.berth("run", "--rm", "--network", "none", "-w", "/proc/self/fd/\(fd)", "bb", "pwd")
            #expect(api.status != 0 && api.stdout.isEmpty, "fd \(fd): \(api.stdout)\(api.stderr)")
        }
    }

    /// The reference's in-container probes: syscalls the default seccomp profile and
    /// capabilities refuse, nothing inheritable or ambient, and host devices that can be
    /// created but not opened.
    @Test func seccompCapabilityAndDeviceProbesFailInside() throws {
        let d = try Fixtures.daemonWithBusybox()
        let probe = try Self.probe(in: d.dir)
        let r = d.berth("run", "--rm", "--network", "none", "-v", "\(probe):/probe:ro", "bb", "/probe")
        let results = Dictionary(r.lines.compactMap { line -> (String, Int32)? in
            let kv = line.split(separator: "=")
            return kv.count == 2 ? (String(kv[0]), Int32(kv[1]) ?? -1) : nil
        }, uniquingKeysWith: { a, _ in a })
        for name in ["unshare", "mount", "keyctl", "add_key", "open_by_handle_at", "io_uring_setup", "bpf", "perf_event_open",
                     "kcmp", "pidfd_getfd", "setns", "af_alg", "af_vsock"] {
            #expect(results[name] == EPERM, "\(name) → EPERM: \(r.stdout)\(r.stderr)")
        }
        #expect(results["clone3"] == ENOSYS, "clone3 → ENOSYS so libc falls back to clone")
        let status = d.berth("run", "--rm", "--network", "none", "bb", "cat", "/proc/self/status").stdout
        #expect(status.contains("CapInh:\t0000000000000000") && status.contains("CapAmb:\t0000000000000000"), "\(status)")
        // A host block device (loop0) and tty0: mknod is allowed (CAP_MKNOD), opening is not.
        let dev = d.berth("run", "--rm", "--network", "none", "bb", "sh", "-c",
                          "mknod /loop b 7 0 && mknod /tty0 c 4 0 && echo made; (exec 3</loop) 2>/dev/null && echo loop-open; (exec 3</tty0) 2>/dev/null && echo tty0-open; echo x > /dev/null && echo null-ok")
        #expect(dev.stdout == "made\nnull-ok\n", "\(dev.stdout)\(dev.stderr)")
    }

    /// The same device probes on cgroup v2, where the rules are an eBPF program attached to the
    /// container's cgroup: /dev/null and /dev/zero work, a mknod'ed loop0 and tty0 do not open;
    /// a `--privileged` container (no program) opens loop0, so the program is what refuses.
    @Test(.enabled(if: access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0 || access("/sys/fs/cgroup/unified/cgroup.controllers", F_OK) == 0,
                   "needs cgroup v2: a v2 host, or a hybrid one with its unified hierarchy at /sys/fs/cgroup/unified"))
    func devicesOutsideTheAllowlistDoNotOpenOnCgroupV2() throws {
        let d = try Fixtures.daemonWithBusybox(cgroupV2: true)
        #expect(d.berth("info", "--format", "{{.CgroupVersion}}").stdout == "2\n")
        let probe = "mknod /loop b 7 0 && mknod /tty0 c 4 0 && echo made; (exec 3</loop) 2>/dev/null && echo loop-open; "
            + "(exec 3</tty0) 2>/dev/null && echo tty0-open; echo x > /dev/null && echo null-ok; head -c 4 /dev/zero | wc -c"
        let dev = d.berth("run", "--rm", "--network", "none", "bb", "sh", "-c", probe)
        #expect(dev.stdout == "made\nnull-ok\n4\n", "\(dev.stdout)\(dev.stderr)")
        let privileged = d.berth("run", "--rm", "--privileged", "--network", "none", "bb", "sh", "-c", probe)
        #expect(privileged.stdout.hasPrefix("made\nloop-open\n"), "\(privileged.stdout)\(privileged.stderr)")
    }

    /// CVE-2020-15257: a `--network host` container shares berthd's network namespace but
    /// reaches neither the API socket nor a shim's: both are path sockets under the exec root
    /// (not abstract ones), outside the container's mount namespace.
    @Test func aHostNetworkContainerCannotReachBerthdOrAShim() throws {
        let d = try Fixtures.daemonWithBusybox()
        let probe = try Self.probe(in: d.dir)
        #expect(d.berth("run", "-d", "--name", "other", "--network", "none", "bb", "sleep", "1000").status == 0)
        let shims = (try? FileManager.default.contentsOfDirectory(atPath: "\(d.execRoot)/shims")) ?? []
        let shimSocket = try #require(shims.first { $0.hasSuffix(".sock") }.map { "\(d.execRoot)/shims/\($0)" })
        let r = d.berth("run", "--rm", "--network", "host", "-v", "\(probe):/probe:ro", "bb", "sh", "-c",
                        "/probe connect \(d.socket); /probe connect \(shimSocket); grep ' @' /proc/net/unix | grep -c berth || true")
        #expect(r.lines == ["connect=\(ENOENT)", "connect=\(ENOENT)", "0"], "\(r.stdout)\(r.stderr)")
        // Seen from the namespace itself, no socket there is abstract and named after berth.
        let abstract = d.inNetns("sh", "-c", "grep ' @' /proc/net/unix | grep -c berth || true")
        #expect(abstract.stdout == "0\n", "\(abstract.stdout)")
        #expect(d.berth("rm", "-f", "other").status == 0)
    }

    /// Hostile image content and configs (CVE-2024-40635, CVE-2026-47262, CVE-2022-23648, the
    /// symlinked-/dev class): each fails with a clear error, or works bounded, and berthd stays up.
    @Test func hostileImagesFailWithClearErrorsOrStayBounded() throws {
        let d = try Fixtures.daemonWithBusybox()
        func image(_ name: String, change: String? = nil, setup: String = "") throws {
            let dir = "\(d.dir)/\(name)"
            let script = "set -e; mkdir -p \(dir)/add; cd \(dir)/add; \(setup)\n cp \(Fixtures.busyboxTar) \(dir)/image.tar; "
                + "if [ -n \"$(ls -A)\" ]; then tar --numeric-owner -rf \(dir)/image.tar .; fi"
            let r = Run.sh(script)
            guard r.status == 0 else { throw TestFailure("\(name): \(r.stderr)") }
            let imported = change.map { d.berth("import", "-c", $0, "\(dir)/image.tar", name) } ?? d.berth("import", "\(dir)/image.tar", name)
            guard imported.status == 0 else { throw TestFailure("import \(name): \(imported.stderr)") }
        }
        let groups = "python3 -c \"import sys; n = int(sys.argv[1]); open('etc/group', 'w').write('root:x:0:\\\\n' + ''.join('g%d:x:%d:root\\\\n' % (i, 1000 + i) for i in range(n)))\""
        try image("group1m", setup: "mkdir etc; \(groups) 40000")
        // Counted from the kernel's view (busybox `id` would look each of 40001 names up).
        let big = d.berth("run", "--rm", "--network", "none", "group1m", "awk", "/^Groups:/ { print NF - 1 }", "/proc/self/status")
        #expect(big.stdout == "40001\n", "a 1 MB /etc/group is read: \(big.stdout)\(big.stderr)")
        try image("group6m", setup: "mkdir etc; \(groups) 300000")
        let huge = d.berth("run", "--rm", "--network", "none", "group6m", "id")
        #expect(huge.status == 125 && huge.stderr.contains("/etc/group is larger than 4194304 bytes"), "\(huge.stderr)")
        try image("uid", change: "USER 2147483648")
        let uid = d.berth("run", "--rm", "--network", "none", "uid", "id")
        #expect(uid.status == 125 && uid.stderr.contains("uids and gids must be in range 0-2147483647"), "\(uid.stderr)")
        try image("volume", change: #"VOLUME ["../../etc"]"#)
        let volume = d.berth("run", "--rm", "--network", "none", "volume", "true")
        #expect(volume.status == 125 && volume.stderr.contains("invalid volume ../../etc"), "\(volume.stderr)")
        try image("devlink", setup: "ln -s /etc dev")
        let dev = d.berth("run", "--rm", "--network", "none", "devlink", "true")
        #expect(dev.status == 125 && dev.stderr.contains("/dev must not be a symlink"), "\(dev.stderr)")
        try image("nulllink", setup: "mkdir dev; ln -s /etc/passwd dev/null")
        let null = d.berth("run", "--rm", "--network", "none", "nulllink", "sh", "-c", "echo x > /dev/null; wc -c < /etc/passwd; ls -l /dev/null")
        let passwd = d.berth("run", "--rm", "--network", "none", "bb", "sh", "-c", "wc -c < /etc/passwd").stdout
        #expect(null.lines.first.map { $0 + "\n" } == passwd && null.lines.last?.hasPrefix("crw-rw-rw-") == true,
                "/dev is a fresh tmpfs, the image's /dev/null link is gone: \(null.stdout)\(null.stderr)")
        let env = (0..<25000).map { "\"E\($0)=\(String(repeating: "x", count: 100))\"" }.joined(separator: ",")
        let body = "\(d.dir)/env.json"
        try #"{"Image":"bb","Cmd":["true"],"Env":[\#(env)]}"#.write(toFile: body, atomically: true, encoding: .utf8)
        let created = Run.curl(socket: d.socket, path: "/containers/create?name=bigenv", method: "POST",
                               extra: ["-H", "Content-Type: application/json", "--data-binary", "@\(body)"])
        #expect(created.stdout.contains("HTTP/1.1 201"), "\(created.stdout.prefix(300))")
        let started = d.berth("start", "bigenv")
        #expect(started.status != 0 && started.stderr.contains("argument list too long"), "\(started.stderr)")
        #expect(Run.curl(socket: d.socket, path: "/_ping").stdout.hasPrefix("HTTP/1.1 200"))
    }

    // MARK: API abuse

    /// The socket is 0660 root-owned: an unprivileged user is refused at connect.
    @Test func anotherUserCannotUseTheSocket() throws {
        let d = try Daemon()
        let attrs = try FileManager.default.attributesOfItem(atPath: d.socket)
        #expect((attrs[.posixPermissions] as? Int) == 0o660)
        #expect((attrs[.ownerAccountID] as? NSNumber)?.intValue == 0)
        let nobody = Run.run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/curl", "-s", "-o", "/dev/null",
                                                  "-w", "%{http_code}", "--unix-socket", d.socket, "http://localhost/_ping"])
        #expect(nobody.status == 7, "curl cannot connect: \(nobody.status) \(nobody.stdout)")
        #expect(nobody.stdout == "000")
        #expect(Run.curl(socket: d.socket, path: "/_ping").stdout.hasPrefix("HTTP/1.1 200"), "root still gets in")
    }

    /// Traversal, NUL, oversized and malformed input gets a 4xx and leaves the data root as it was.
    @Test func malformedHugeAndTraversalRequestsGet4xxAndChangeNothing() throws {
        let d = try Fixtures.daemonWithBusybox()
        let snapshot = { Run.sh("cd \(d.dataRoot) && find . -path ./tmp -prune -o -print | sort").stdout }
        let before = snapshot()
        let long = String(repeating: "a", count: 10_000)
        let hugeFile = "\(d.dir)/huge.json"
        try Data(("{\"Image\":\"bb\",\"Cmd\":[\"" + String(repeating: "x", count: 10 << 20) + "\"").utf8).write(to: URL(fileURLWithPath: hugeFile))
        let deepFile = "\(d.dir)/deep.json"
        try Data(String(repeating: "[", count: 1 << 20).utf8).write(to: URL(fileURLWithPath: deepFile))
        let json = ["-H", "Content-Type: application/json"]
        let cases: [(String, String, [String])] = [
            ("GET", "/containers/..%2f..%2fetc/json", []),
            ("GET", "/containers/..%2F..%2F..%2Fetc%2Fpasswd/archive?path=/", []),
            ("POST", "/containers/create?name=..%2F..%2Fetc", json + ["-d", #"{"Image":"bb"}"#]),
            ("POST", "/containers/create?name=a%00b", json + ["-d", #"{"Image":"bb"}"#]),
            ("POST", "/containers/create?name=a/b", json + ["-d", #"{"Image":"bb"}"#]),
            ("POST", "/containers/create?name=\(long)", json + ["-d", #"{"Image":"bb"}"#]),
            ("POST", "/containers/create", json + ["-d", "{not json"]),
            ("POST", "/containers/create", json + ["-d", #"{"Image":"bb","HostConfig":{"Binds":["/:/host:rw,zz"]}}"#]),
            ("POST", "/containers/create", json + ["--data-binary", "@\(hugeFile)"]),
            ("POST", "/containers/create", json + ["--data-binary", "@\(deepFile)"]),
            ("POST", "/containers/create", json + ["-d", #"{"Image":"../../etc/passwd"}"#]),
            ("POST", "/volumes/create", json + ["-d", #"{"Name":"../../etc"}"#]),
            ("POST", "/volumes/create", json + ["-d", "{\"Name\":\"\(long)\"}"]),
            ("POST", "/images/create?fromImage=..%2F..%2Fetc&tag=x", []),
            ("POST", "/images/bb/tag?repo=..%2F..%2Fx&tag=1", []),
            ("POST", "/images/bb/tag?repo=ok&tag=\(long)", []),
            ("DELETE", "/images/..%2F..%2Fetc%2Fpasswd", []),
            ("DELETE", "/volumes/..%2F..%2Fetc", []),
            ("GET", "/containers/json?filters=%7Bnot", []),
            ("POST", "/containers/x%00y/start", []),
            ("POST", "/exec/..%2F..%2Fx/start", json + ["-d", "{}"]),
        ]
        for (method, path, extra) in cases {
            let r = Run.run("/usr/bin/curl", ["-s", "--max-time", "20", "--unix-socket", d.socket, "-X", method, "-o", "/dev/null",
                                              "-w", "%{http_code}", "http://localhost/v1.45\(path)"] + extra)
            let code = Int(r.stdout) ?? 0
            #expect((400..<500).contains(code), "\(method) \(path.prefix(80)) → \(r.stdout) \(r.stderr)")
        }
        #expect(Run.curl(socket: d.socket, path: "/_ping").stdout.hasPrefix("HTTP/1.1 200"), "berthd is still up")
        #expect(snapshot() == before, "nothing was created, removed or renamed in the data root")
        #expect(!FileManager.default.fileExists(atPath: "/etc/berth-evil"))
    }

    /// Exec and attach streams the client drops mid-way leave berthd's descriptors and memory
    /// where they were. 200 cycles (each starts a process in the container), not the
    /// reference's 10k; the tolerance is a handful of fds and a loose memory bound.
    @Test func abortedExecAndAttachCyclesLeaveBerthdFlat() throws {
        let d = try Fixtures.daemonWithBusybox()
        #expect(d.berth("run", "-d", "-i", "--name", "streams", "bb", "sh", "-c", "while :; do echo tick; sleep 0.05; done").status == 0)
        let pid = try #require(d.process?.processIdentifier)
        func cycle(_ i: Int) {
            let create = Run.run("/usr/bin/curl", ["-s", "--unix-socket", d.socket, "-X", "POST", "-H", "Content-Type: application/json",
                                                   "-d", #"{"AttachStdin":true,"AttachStdout":true,"AttachStderr":true,"Cmd":["cat"]}"#,
                                                   "http://localhost/v1.45/containers/streams/exec"])
            let id = (try? JSONSerialization.jsonObject(with: Data(create.stdout.utf8)) as? [String: Any])?["Id"] as? String ?? ""
            // Started, then the client vanishes as soon as the stream is up, while cat waits on its stdin.
            let start = #"{"Detach":false,"Tty":false}"#
            Self.dropAfterHead(socket: d.socket, "POST /v1.45/exec/\(id)/start HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
                + "Content-Type: application/json\r\nContent-Length: \(start.utf8.count)\r\n\r\n\(start)")
            // An attach to the running container dropped the same way.
            Self.dropAfterHead(socket: d.socket, "POST /v1.45/containers/streams/attach?stream=1&stdout=1&stdin=1 HTTP/1.1\r\nHost: x\r\n"
                + "Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n")
        }
        func settle() -> (fds: Int, rss: Int) {
            // Dropped execs end when their stdin closes; give berthd a moment to see each exit.
            var last = (fds: Int.max, rss: 0)
            for _ in 0..<30 {
                let now = (Self.fdCount(pid), Self.rssKiB(pid))
                if now.0 == last.fds { return now }
                last = (now.0, now.1)
                usleep(300_000)
            }
            return last
        }
        for i in 0..<20 { cycle(i) }
        let before = settle()
        for i in 0..<200 { cycle(i) }
        let after = settle()
        print("aborted exec/attach cycles: berthd fds \(before.fds) → \(after.fds), RSS \(before.rss) → \(after.rss) KiB")
        #expect(after.fds <= before.fds + 8, "berthd fds \(before.fds) → \(after.fds)")
        #expect(after.rss <= before.rss + 64 * 1024, "berthd RSS \(before.rss) KiB → \(after.rss) KiB")
        #expect(d.berth("exec", "streams", "echo", "alive").stdout == "alive\n")
        let leftover = d.berth("exec", "streams", "sh", "-c", "ps -o comm | grep -c '^cat$' || true").stdout
        #expect(leftover == "0\n", "dropped execs did not linger: \(leftover)")
        #expect(d.berth("rm", "-f", "streams").status == 0)
    }

    // MARK: Helpers

    /// A static probe binary (gcc, glibc's libc.a): syscalls the profile must refuse, each
    /// printed as `name=errno` (0 when it succeeded), or `connect PATH` to a unix socket.
    static func probe(in dir: String) throws -> String {
        let source = """
        #define _GNU_SOURCE
        #include <errno.h>
        #include <stdio.h>
        #include <string.h>
        #include <unistd.h>
        #include <sys/socket.h>
        #include <sys/syscall.h>
        #include <sys/un.h>
        static void report(const char *name, long r) { printf("%s=%d\\n", name, r < 0 ? errno : 0); fflush(stdout); }
        int main(int argc, char **argv) {
            if (argc == 3 && strcmp(argv[1], "connect") == 0) {
                int fd = socket(AF_UNIX, SOCK_STREAM, 0);
                struct sockaddr_un a = { .sun_family = AF_UNIX };
                strncpy(a.sun_path, argv[2], sizeof a.sun_path - 1);
                report("connect", connect(fd, (struct sockaddr *)&a, sizeof a));
                return 0;
            }
            report("unshare", syscall(SYS_unshare, 0x00020000));
            report("mount", syscall(SYS_mount, "none", "/tmp", "tmpfs", 0, 0));
            report("keyctl", syscall(SYS_keyctl, 1, 0));
            report("add_key", syscall(SYS_add_key, "user", "k", "v", 1, -3));
            report("open_by_handle_at", syscall(SYS_open_by_handle_at, -100, 0, 0));
            report("io_uring_setup", syscall(SYS_io_uring_setup, 1, 0));
            report("bpf", syscall(SYS_bpf, 0, 0, 0));
            report("clone3", syscall(SYS_clone3, 0, 0));
            report("perf_event_open", syscall(SYS_perf_event_open, 0, 0, -1, -1, 0));
            report("kcmp", syscall(SYS_kcmp, 1, 1, 0, 0, 0));
            report("pidfd_getfd", syscall(SYS_pidfd_getfd, 0, 0, 0));
            report("setns", syscall(SYS_setns, 0, 0));
            report("af_alg", socket(38, SOCK_SEQPACKET, 0));
            report("af_vsock", socket(40, SOCK_STREAM, 0));
            return 0;
        }
        """
        try source.write(toFile: "\(dir)/probe.c", atomically: true, encoding: .utf8)
        let cc = Run.run("/usr/bin/gcc", ["-static", "-O1", "-o", "\(dir)/probe", "\(dir)/probe.c"])
        guard cc.status == 0 else { throw TestFailure("gcc -static probe.c: \(cc.stderr)") }
        return "\(dir)/probe"
    }

    /// Sends `request` on a new connection to `socket`, reads the response head, and closes.
    static func dropAfterHead(socket path: String, _ request: String) {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in path.utf8.prefix(raw.count - 1).enumerated() { raw[i] = b }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { return }
        _ = request.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        var head = [UInt8]()
        var byte: UInt8 = 0
        while !head.suffix(4).elementsEqual([13, 10, 13, 10]), recv(fd, &byte, 1, 0) == 1 { head.append(byte) }
    }

    static func fds(_ pid: Int32) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []).sorted { (Int($0) ?? 0) < (Int($1) ?? 0) }
    }

    static func fdLinks(_ pid: Int32) -> [String] {
        fds(pid).map { "\($0) → \((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)")) ?? "?")" }
    }

    static func fdCount(_ pid: Int32) -> Int { fds(pid).count }

    static func rssKiB(_ pid: Int32) -> Int {
        let line = HostProcess.read("/proc/\(pid)/status").split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "") ?? 0
    }
}
