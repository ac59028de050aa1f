import Foundation
import Glibc
import Testing

/// Issue 8's runtime escapes, API abuse and resource exhaustion, against a private berthd
/// (docs/security-suite.md maps each test to the checklist line it holds).
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
            procs = Self.cgroupProcs(initPid)
            exec = procs.first { $0 != initPid && Self.read("/proc/\($0)/cmdline").split(separator: "\0").joined(separator: " ") == "sleep 1001" }
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

    // MARK: Resource exhaustion

    /// Berth's default pids limit (4096; Docker has none) is in force unless lifted, and a
    /// fork bomb under a small limit stops at it while berthd and the host carry on.
    @Test func aDefaultPidsLimitHoldsAForkBomb() throws {
        let d = try Fixtures.daemonWithBusybox()
        let readMax = "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max"
        #expect(d.berth("run", "--rm", "--network", "none", "bb", "sh", "-c", readMax).stdout == "4096\n")
        #expect(d.berth("run", "--rm", "--network", "none", "--pids-limit", "-1", "bb", "sh", "-c", readMax).stdout == "max\n")
        #expect(d.berth("run", "--rm", "--network", "none", "--pids-limit", "100", "bb", "sh", "-c", readMax).stdout == "100\n")

        // The forking subshell gives up at its first failed fork; the outer shell no longer needs one.
        let bomb = "(i=0; while [ $i -lt 400 ]; do sleep 1000 & i=$((i+1)); done) 2>/dev/null; echo forked; exec sleep 1000"
        #expect(d.berth("run", "-d", "--name", "bomb", "--network", "none", "--pids-limit", "40", "bb", "sh", "-c", bomb).status == 0)
        let initPid = try #require(Int32(d.berth("inspect", "-f", "{{.State.Pid}}", "bomb").stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        var count = 0
        for _ in 0..<100 {
            count = Self.cgroupProcs(initPid).count
            if d.berth("logs", "bomb").stdout.contains("forked") { break }
            usleep(100_000)
        }
        #expect(d.berth("logs", "bomb").stdout.contains("forked"), "the bomb ran into its limit and went on")
        count = Self.cgroupProcs(initPid).count
        #expect(count > 30 && count <= 40, "processes in the container: \(count)")
        #expect(Run.curl(socket: d.socket, path: "/_ping").stdout.hasPrefix("HTTP/1.1 200"))
        #expect(d.berth("rm", "-f", "bomb").status == 0)
        #expect(!Self.alive(initPid))
    }

    /// A memory bomb under `-m 32m` is OOM-killed and reported (137, State.OOMKilled) while
    /// berthd carries on. berthd asks for oom_score_adj -500 (as dockerd); its shims inherit
    /// it and the container's processes are put back to 0.
    @Test func aMemoryBombIsOOMKilledAndBerthdSurvives() throws {
        let d = try Fixtures.daemonWithBusybox()
        let pid = try #require(d.process?.processIdentifier)
        let adjust = Self.read("/proc/\(pid)/oom_score_adj")
        if Self.hasCapability(24) {  // CAP_SYS_RESOURCE: lowering the score is allowed here
            #expect(adjust == "-500")
        } else {
            #expect(adjust == "0" && d.log.contains("cannot set oom_score_adj to -500"), "without CAP_SYS_RESOURCE berthd says why")
        }
        let r = d.berth("run", "--name", "mb", "--network", "none", "-m", "32m", "bb", "sh", "-c", "cat /proc/self/oom_score_adj; tail /dev/zero")
        #expect(r.status == 137, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout == "0\n", "the container does not inherit berthd's score")
        #expect(d.berth("inspect", "-f", "{{.State.OOMKilled}} {{.State.ExitCode}}", "mb").stdout == "true 137\n")
        #expect(d.process?.isRunning == true)
        #expect(Self.read("/proc/\(pid)/oom_score_adj") == adjust)
        #expect(d.berth("run", "--rm", "--network", "none", "bb", "echo", "after").stdout == "after\n")
    }

    /// A container writing as fast as it can, long lines and a line without a newline, stays
    /// inside `--log-opt max-size/max-file`, runs to its end, and the newest lines are kept.
    @Test func aLogFloodStaysWithinItsRotationCaps() throws {
        let d = try Fixtures.daemonWithBusybox()
        let flood = "yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c 4000000; head -c 300000 /dev/zero | tr '\\0' x; echo; echo done"
        let r = d.berth("run", "--name", "flood", "--network", "none", "--log-opt", "max-size=200k", "--log-opt", "max-file=3",
                        "bb", "sh", "-c", flood)
        #expect(r.status == 0, "the container was never stalled: \(r.stderr)")
        let id = d.berth("inspect", "-f", "{{.Id}}", "flood").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let dir = "\(d.dataRoot)/containers/\(id)"
        let logs = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasPrefix("\(id)-json.log") }
        #expect(logs.count <= 3, "\(logs)")
        for f in logs {
            let size = ((try? FileManager.default.attributesOfItem(atPath: "\(dir)/\(f)"))?[.size] as? NSNumber)?.intValue ?? 0
            // One record may cross the limit before the rotation (a 16 KiB piece, JSON-escaped).
            #expect(size <= 200 * 1024 + 64 * 1024, "\(f): \(size) bytes")
        }
        #expect(d.berth("logs", "--tail", "1", "flood").stdout == "done\n")
    }

    /// Decompression bombs: a layer of 256 MiB of zeros, gzip- and zstd-compressed to a few
    /// hundred KiB, on a 64 MiB data root. Extraction streams until the disk is full, then the
    /// image is refused with the reason, the partial unpack is removed, and berthd goes on.
    @Test func decompressionBombsBiggerThanTheDiskAreRefusedAndLeaveNothing() throws {
        let d = try Fixtures.daemonWithBusybox(dataRootSize: "64m")
        func free() -> Int {
            var fs = statvfs()
            return statvfs(d.dataRoot, &fs) == 0 ? Int(fs.f_bavail) * Int(fs.f_frsize) : -1
        }
        let before = free()
        #expect(before > 0)
        var uts = utsname()
        uname(&uts)
        let machine = withUnsafeBytes(of: uts.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let architecture = ["x86_64": "amd64", "aarch64": "arm64"][machine] ?? machine
        for (name, compressor) in [("gzip", "gzip -1 -c"), ("zstd", "zstd -q -1 -c")] {
            let archive = "\(d.dir)/bomb-\(name).tar"
            let make = Run.run("/usr/bin/python3", ["-c", """
                import hashlib, io, json, os, shutil, subprocess, tarfile
                d = '\(d.dir)/bomb-\(name)'
                os.makedirs(d)
                layer = open(d + '/l2.tar.c', 'wb')
                comp = subprocess.Popen(['sh', '-c', '\(compressor)'], stdin=subprocess.PIPE, stdout=layer)
                sha = hashlib.sha256()
                class Tee:
                    def write(self, b):
                        sha.update(b); comp.stdin.write(b); return len(b)
                class Zeros(io.RawIOBase):
                    def readable(self): return True
                    def readinto(self, b):
                        b[:] = bytes(len(b)); return len(b)
                with tarfile.open(fileobj=Tee(), mode='w|') as t:
                    info = tarfile.TarInfo('bomb'); info.size = 256 << 20
                    t.addfile(info, io.BufferedReader(Zeros(), 1 << 20))
                comp.stdin.close(); comp.wait(); layer.close()
                busy = 'sha256:' + hashlib.sha256(open('\(Fixtures.busyboxTar)', 'rb').read()).hexdigest()
                json.dump({'architecture': '\(architecture)', 'os': 'linux', 'config': {'Cmd': ['sh']},
                           'rootfs': {'type': 'layers', 'diff_ids': [busy, 'sha256:' + sha.hexdigest()]}}, open(d + '/config.json', 'w'))
                json.dump([{'Config': 'config.json', 'RepoTags': ['bomb-\(name):1'], 'Layers': ['l1.tar', 'l2.tar.c']}], open(d + '/manifest.json', 'w'))
                shutil.copy('\(Fixtures.busyboxTar)', d + '/l1.tar')
                subprocess.check_call(['tar', '-C', d, '-cf', '\(archive)', 'manifest.json', 'config.json', 'l1.tar', 'l2.tar.c'])
                print(os.path.getsize(d + '/l2.tar.c'))
                """])
            #expect(make.status == 0, "\(make.stderr)")
            #expect((Int(make.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? .max) < 2 << 20, "\(name): the bomb is small: \(make.stdout)")
            // Whether the layer unpacks at load or at the first run, the step that hits the
            // full disk fails naming it, and no image runs from half a layer.
            let load = d.berth("load", "-i", archive)
            if load.status == 0 {
                let run = d.berth("run", "--rm", "--network", "none", "bomb-\(name):1", "true")
                #expect(run.status != 0 && run.stderr.lowercased().contains("no space left on device") && run.stderr.contains("free space"), "\(name): \(run.stdout)\(run.stderr)")
                #expect(d.berth("rmi", "bomb-\(name):1").status == 0)
            } else {
                #expect(load.stderr.lowercased().contains("no space left on device") && load.stderr.contains("free space"), "\(name): \(load.stderr)")
            }
            #expect(d.berth("images", "--format", "{{.Repository}}").stdout == "bb\n", "\(name)")
            #expect(free() > before - (4 << 20), "\(name): the partial unpack was removed: \(free()) bytes free, \(before) before")
            #expect(d.berth("run", "--rm", "--network", "none", "bb", "echo", "after-\(name)").stdout == "after-\(name)\n")
        }
        let check = d.berth("system", "check")
        #expect(check.status == 0 && check.stdout.hasSuffix("No problems found\n"), "\(check.stdout)\(check.stderr)")
    }

    /// A container that fills its writable layer gets ENOSPC; berthd's and the shims' own
    /// records still get written (the data root's `reserve` is given up for them): a stop, a
    /// rename and the filler's exit are recorded and survive a restart. Once a second filler
    /// has taken the reserve's space too, a create and a rename fail naming ENOSPC and leave
    /// no container, no temporary file and the old records behind; removing the fillers frees
    /// the disk and brings the reserve back, and the store checks clean.
    @Test func aFullDiskGivesENOSPCInsideWhileBerthdKeepsRecording() throws {
        let d = try Fixtures.daemonWithBusybox(dataRootSize: "64m")
        let reserve = "\(d.dataRoot)/reserve"
        func free() -> Int {
            var fs = statvfs()
            return statvfs(d.dataRoot, &fs) == 0 ? Int(fs.f_bavail) * Int(fs.f_frsize) : -1
        }
        func size(_ path: String) -> Int {
            var st = stat()
            return stat(path, &st) == 0 ? Int(st.st_size) : -1
        }
        #expect(size(reserve) == 2 << 20, "1/32 of the 64 MiB disk is held back")
        #expect(d.berth("run", "-d", "--name", "sleeper", "--network", "none", "bb", "sleep", "1000").status == 0)
        let fill = d.berth("run", "--name", "filler", "--network", "none", "bb", "sh", "-c",
                           "dd if=/dev/zero of=/big bs=64k 2>&1; echo dd-exit=$?; ls -l /big")
        #expect(fill.status == 0, "\(fill.stderr)")
        #expect(fill.stdout.contains("No space left on device") && fill.stdout.contains("dd-exit=1"), "\(fill.stdout)")
        #expect(size(reserve) == -1, "the filler's shim gave up the reserve to record its exit")
        #expect(free() < 4 << 20, "the disk stays nearly full: \(free()) bytes free")
        #expect(d.berth("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "filler").stdout == "exited 0\n")

        #expect(d.berth("inspect", "-f", "{{.State.Running}}", "sleeper").stdout == "true\n")
        #expect(d.berth("stop", "-t", "1", "sleeper").status == 0)
        let renamed = d.berth("rename", "sleeper", "sleeper2")
        #expect(renamed.status == 0, "\(renamed.stderr)")
        #expect(d.berth("inspect", "-f", "{{.Name}} {{.State.Status}} {{.State.ExitCode}}", "sleeper2").stdout == "/sleeper2 exited 137\n")

        // With the reserve spent, a second filler takes the rest: berthd's writes now fail
        // with the reason, leaving nothing half-written, and reads still answer.
        #expect(d.berth("run", "-d", "--name", "filler2", "--network", "none", "bb", "sh", "-c",
                        "dd if=/dev/zero of=/big bs=64k; sleep 1000").status == 0)
        for _ in 0..<300 where free() >= 64 << 10 { usleep(100_000) }
        #expect(free() < 64 << 10, "the second filler took the rest: \(free()) bytes free")
        let late = d.berth("create", "--name", "late", "--network", "none", "bb", "true")
        #expect(late.status != 0 && late.stderr.contains("no space left on device; free space on that filesystem"), "\(late.stdout)\(late.stderr)")
        let refused = d.berth("rename", "sleeper2", "sleeper3")
        #expect(refused.status != 0 && refused.stderr.contains("no space left on device; free space on that filesystem"), "\(refused.stderr)")
        #expect(d.berth("ps", "-a", "--format", "{{.Names}}").stdout.split(separator: "\n").sorted() == ["filler", "filler2", "sleeper2"])
        #expect(d.berth("inspect", "-f", "{{.Name}} {{.State.Status}}", "sleeper2").stdout == "/sleeper2 exited\n")
        let leftovers = Run.sh("find \(d.dataRoot)/containers -name '*.tmp*' -o -name '.tmp-*'").stdout
        #expect(leftovers.isEmpty, "no temporary record files left: \(leftovers)")

        // Freeing the disk brings the reserve back; berthd creates, renames and runs again.
        #expect(d.berth("rm", "-f", "filler2").status == 0)
        #expect(d.berth("rm", "filler").status == 0)
        #expect(size(reserve) == 2 << 20, "the reserve is made again once there is room")
        #expect(d.berth("run", "--rm", "--network", "none", "bb", "echo", "after").stdout == "after\n")
        #expect(d.berth("rename", "sleeper2", "sleeper3").status == 0)
        #expect(d.berth("rename", "sleeper3", "sleeper2").status == 0)
        #expect(d.berth("start", "sleeper2").status == 0)
        #expect(d.berth("inspect", "-f", "{{.State.Running}}", "sleeper2").stdout == "true\n")
        #expect(d.berth("stop", "-t", "1", "sleeper2").status == 0)

        d.stop()
        try d.start()
        #expect(d.berth("inspect", "-f", "{{.Name}} {{.State.Status}} {{.State.ExitCode}}", "sleeper2").stdout == "/sleeper2 exited 137\n")
        #expect(d.berth("ps", "-a", "--format", "{{.Names}}").stdout == "sleeper2\n")
        let check = d.berth("system", "check")
        #expect(check.status == 0 && check.stdout.hasSuffix("No problems found\n"), "\(check.stdout)\(check.stderr)")
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
        let line = read("/proc/\(pid)/status").split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "") ?? 0
    }

    /// The processes of the cgroup `pid` is in (the pids hierarchy on v1, the unified one on v2).
    static func cgroupProcs(_ pid: Int32) -> [Int32] {
        let lines = read("/proc/\(pid)/cgroup").split(separator: "\n").map(String.init)
        let dir: String
        if let v1 = lines.first(where: { $0.contains(":pids:") }) {
            dir = "/sys/fs/cgroup/pids" + (v1.split(separator: ":", maxSplits: 2).last.map(String.init) ?? "")
        } else {
            dir = "/sys/fs/cgroup" + (lines.first { $0.hasPrefix("0::") }.map { String($0.dropFirst(3)) } ?? "")
        }
        return read("\(dir)/cgroup.procs").split(separator: "\n").compactMap { Int32($0) }
    }

    static func read(_ path: String) -> String {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Exists and is not a zombie.
    static func alive(_ pid: Int32) -> Bool {
        let stat = read("/proc/\(pid)/stat")
        guard let close = stat.lastIndex(of: ")") else { return false }
        return !stat[close...].hasPrefix(") Z")
    }

    /// Whether this test process holds capability `bit` in its effective set.
    static func hasCapability(_ bit: Int) -> Bool {
        let line = read("/proc/self/status").split(separator: "\n").first { $0.hasPrefix("CapEff:") } ?? ""
        let mask = UInt64(line.split(separator: "\t").last ?? "", radix: 16) ?? 0
        return mask & (1 << UInt64(bit)) != 0
    }
}
