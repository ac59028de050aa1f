import Foundation
import Glibc
import Testing

/// Issue 8's crash faults on the write side (berthd SIGKILLed while it pushes, commits or
/// builds) and two pushes of images sharing layers racing into one registry.
@Suite(.serialized) struct WriteFaultTests {
    // MARK: Crash faults

    /// berthd killed while it uploads an 8 MiB layer to `berth registry serve` (loopback slowed
    /// to 16 Mbit/s): the registry keeps no tag and no blob that does not hash to its name,
    /// berthd records no repo digest, and a second push completes into an image another
    /// daemon pulls and runs with the same bytes.
    @Test func sigkillMidPushThenRestartPushesAPullableImage() throws {
        let ns = try NetNS()
        let registry = try BerthRegistryProcess(netns: ns)
        let d = try Daemon(netns: ns)
        let name = "\(registry.host)/crash/big:1"
        let sum = try Self.bigImage(d, name)
        try Self.slowLoopback(ns, rate: "16mbit")
        let push = Self.start(d, "push", name)
        let uploading = Self.waitFor(seconds: 60) { Self.largestFile(in: "\(registry.root)/ingest") >= 1 << 20 }
        d.kill9()
        push.waitUntilExit()
        #expect(uploading, "the layer upload was under way when berthd was killed")
        #expect(push.terminationStatus != 0)
        // The registry drops the upload when the connection breaks.
        #expect(Self.waitFor(seconds: 30) { Self.entries("\(registry.root)/ingest").isEmpty }, "\(Self.entries("\(registry.root)/ingest"))")
        #expect(registry.curl("/v2/crash/big/manifests/1", "-o", "/dev/null", "-w", "%{http_code}").stdout == "404", "no tag for a half-pushed image")
        #expect(Self.misnamedBlobs("\(registry.root)/blobs/sha256").isEmpty)

        try d.start()
        #expect(d.berth("inspect", "-f", "{{len .RepoDigests}}", name).stdout == "0\n", "the interrupted push recorded no repo digest")
        let check = d.berth("system", "check")
        #expect(check.status == 0, "\(check.stdout)")
        ns.run(["tc", "qdisc", "del", "dev", "lo", "root"])
        let again = d.berth("push", name)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(d.berth("inspect", "-f", "{{len .RepoDigests}}", name).stdout == "1\n")
        #expect(Self.misnamedBlobs("\(registry.root)/blobs/sha256").isEmpty)
        #expect(Self.entries("\(registry.root)/ingest").isEmpty)

        let other = try Daemon(netns: ns)
        let pull = other.berth("pull", "-q", name)
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(other.berth("run", "--rm", "--network", "none", name, "sha256sum", "/big").stdout == sum)
    }

    /// berthd killed while `berth commit` writes a 64 MiB + 3000-file layer: after a restart
    /// there is no image, no blob under a digest its bytes do not hash to, no ingest left,
    /// `system check` is clean, and the commit done again gives the container's files.
    @Test func sigkillMidCommitLeavesNoHalfImageAndACommitAgainSucceeds() throws {
        let d = try Fixtures.daemonWithBusybox()
        let fill = d.berth("run", "--name", "big", "--network", "none", "bb", "sh", "-c",
                           "dd if=/dev/urandom of=/big bs=1M count=64 2>/dev/null && mkdir /many && cd /many && for i in $(seq 3000); do echo $i > f$i; done && sha256sum /big")
        #expect(fill.status == 0, "\(fill.stderr)")
        let blobsBefore = d.entries("content/blobs/sha256")
        let commit = Self.start(d, "commit", "big", "big:1")
        let writing = Self.waitFor(seconds: 60) { Self.largestFile(in: "\(d.dataRoot)/content/ingest") > 0 }
        d.kill9()
        commit.waitUntilExit()
        #expect(writing, "the layer was being written when berthd was killed")
        #expect(commit.terminationStatus != 0)

        try d.start()
        #expect(d.entries("content/ingest").isEmpty, "the interrupted layer is removed at start")
        #expect(!d.berth("images", "--format", "{{.Repository}}").lines.contains("big"), "no half-made image")
        #expect(d.berth("images", "-q").lines.count == 1)
        #expect(Self.misnamedBlobs("\(d.dataRoot)/content/blobs/sha256").isEmpty)
        #expect(Set(d.entries("content/blobs/sha256")).subtracting(blobsBefore).count <= 1, "at most the layer, committed under its own digest")
        let check = d.berth("system", "check")
        #expect(check.status == 0 && check.stdout.hasSuffix("No problems found\n"), "\(check.stdout)")

        let again = d.berth("commit", "big", "big:1")
        #expect(again.status == 0, "\(again.stderr)")
        let inside = d.berth("run", "--rm", "--network", "none", "big:1", "sh", "-c", "sha256sum /big && ls /many | wc -l")
        #expect(inside.stdout == fill.stdout + "3000\n", "\(inside.stdout) \(inside.stderr)")
        #expect(d.berth("system", "check").status == 0)
    }

    /// berthd killed during a build: while a RUN step's process runs (`run`), or while the
    /// step's 64 MiB layer is written (`layer`). After a restart no image of the build exists,
    /// `system check` is clean, and the build done again succeeds.
    @Test(arguments: ["run", "layer"])
    func sigkillMidBuildLeavesNoHalfImageAndARebuildSucceeds(phase: String) throws {
        let d = try Fixtures.daemonWithBusybox()
        let ctx = try TempDir.make("crash-build")
        defer { try? FileManager.default.removeItem(atPath: ctx) }
        try """
        FROM bb
        ARG WAIT=0
        RUN sleep $WAIT && dd if=/dev/urandom of=/big bs=1M count=64 2>/dev/null && mkdir /many && cd /many && for i in $(seq 2000); do echo $i > f$i; done
        CMD ["sh"]

        """.write(toFile: "\(ctx)/Dockerfile", atomically: true, encoding: .utf8)
        let wait = phase == "run" ? "7391" : "0"
        let build = Self.start(d, "build", "-q", "--network", "none", "--build-arg", "WAIT=\(wait)", "-t", "crashed:1", ctx)
        var sleeper: pid_t?
        let caught = Self.waitFor(seconds: 90) {
            if phase == "run" {
                sleeper = Self.process(withCommandLine: ["sleep", "7391"])
                return sleeper != nil
            }
            return Self.largestFile(in: "\(d.dataRoot)/content/ingest") > 0
        }
        d.kill9()
        build.waitUntilExit()
        #expect(caught, "berthd was killed during the \(phase) phase")
        #expect(build.terminationStatus != 0)
        if let sleeper { kill(sleeper, SIGKILL) }  // the RUN step's process; its shim lets the container exit

        try d.start()
        #expect(d.entries("content/ingest").isEmpty)
        #expect(d.berth("images", "-q").lines.count == 1, "only bb: \(d.berth("images").stdout)")
        #expect(Self.misnamedBlobs("\(d.dataRoot)/content/blobs/sha256").isEmpty)
        let check = d.berth("system", "check")
        #expect(check.status == 0 && check.stdout.hasSuffix("No problems found\n"), "\(check.stdout)")

        let rebuild = d.berth("build", "-q", "--network", "none", "-t", "crashed:1", ctx)
        #expect(rebuild.status == 0, "\(rebuild.stderr)")
        let inside = d.berth("run", "--rm", "--network", "none", "crashed:1", "sh", "-c", "stat -c %s /big && ls /many | wc -l")
        #expect(inside.stdout == "67108864\n2000\n", "\(inside.stdout) \(inside.stderr)")
    }

    /// A push whose layer upload takes longer than the registry timeouts added up (8 MiB at
    /// 4 Mbit/s, about 17 s, with a 1 s connect and a 12 s read timeout: the read timeout runs
    /// from when the last bytes are queued, which the socket buffers drain in a few seconds)
    /// completes: the timeouts bound silence, not the length of an upload that keeps moving.
    @Test func aSlowPushThatKeepsMovingOutlastsTheTimeouts() throws {
        let ns = try NetNS()
        let registry = try BerthRegistryProcess(netns: ns)
        let d = try Daemon(netns: ns, environment: ["BERTH_REGISTRY_CONNECT_TIMEOUT": "1s", "BERTH_REGISTRY_READ_TIMEOUT": "12s"])
        let name = "\(registry.host)/slow/big:1"
        _ = try Self.bigImage(d, name)
        try Self.slowLoopback(ns, rate: "4mbit")
        let push = d.berth("push", name)
        ns.run(["tc", "qdisc", "del", "dev", "lo", "root"])
        #expect(push.status == 0, "\(push.stderr)")
        #expect(d.berth("inspect", "-f", "{{len .RepoDigests}}", name).stdout == "1\n")
    }

    // MARK: Concurrency

    /// Two `berth push` at once into one registry of two images sharing their two lower
    /// layers (`race/big:1`, and `race/more:1` = it plus a small layer), with loopback slowed
    /// so the uploads overlap: both succeed, the registry holds each blob once under its
    /// digest, each shared layer was uploaded at most twice and every upload was verified
    /// (201), and another daemon pulls both with the same bytes.
    @Test func twoParallelPushesOfImagesSharingLayersBothSucceedWithOneCorrectBlobEach() throws {
        let ns = try NetNS()
        let registry = try BerthRegistryProcess(netns: ns)
        let d = try Daemon(netns: ns)
        let big = "\(registry.host)/race/big:1", more = "\(registry.host)/race/more:1"
        let sum = try Self.bigImage(d, big)
        let add = d.berth("run", "--name", "adder", "--network", "none", big, "sh", "-c", "echo more > /more")
        #expect(add.status == 0, "\(add.stderr)")
        #expect(d.berth("commit", "adder", more).status == 0)
        func layers(_ name: String) -> [String] {
            d.berth("inspect", "-f", "{{range .RootFS.Layers}}{{.}} {{end}}", name).stdout.split(separator: " ").map(String.init).filter { $0.hasPrefix("sha256:") }
        }
        let shared = layers(big), all = layers(more)
        #expect(shared.count == 2 && all.count == 3 && Array(all.prefix(2)) == shared)
        try Self.slowLoopback(ns, rate: "64mbit")
        registry.clearLog()
        let pushes = [Self.start(d, "push", big), Self.start(d, "push", more)]
        for p in pushes { p.waitUntilExit() }
        ns.run(["tc", "qdisc", "del", "dev", "lo", "root"])
        #expect(pushes.allSatisfy { $0.terminationStatus == 0 }, "\(registry.log)")

        let blobs = Self.entries("\(registry.root)/blobs/sha256")
        #expect(Self.misnamedBlobs("\(registry.root)/blobs/sha256").isEmpty)
        #expect(Self.entries("\(registry.root)/ingest").isEmpty)
        for layer in all {
            #expect(blobs.contains(String(layer.dropFirst(7))), "layer \(layer) stored under its digest")
            let uploads = registry.requests("PUT", "digest=\(layer)")
            #expect(uploads.count <= 2 && uploads.allSatisfy { $0.contains("\" 201 ") }, "every upload verified: \(uploads)")
        }
        #expect(blobs.count == 7, "three layers, two configs and two manifests: \(blobs)")
        for name in [big, more] { #expect(d.berth("inspect", "-f", "{{len .RepoDigests}}", name).stdout == "1\n") }

        let other = try Daemon(netns: ns)
        for name in [big, more] {
            let pull = other.berth("pull", "-q", name)
            #expect(pull.status == 0, "\(pull.stderr)")
        }
        #expect(other.berth("run", "--rm", "--network", "none", big, "sha256sum", "/big").stdout == sum)
        #expect(other.berth("run", "--rm", "--network", "none", more, "sh", "-c", "sha256sum /big && cat /more").stdout == sum + "more\n")
    }

    // MARK: Helpers

    /// busybox plus an 8 MiB random /big, committed as `name`; returns `sha256sum /big`'s line.
    static func bigImage(_ d: Daemon, _ name: String) throws -> String {
        guard d.berth("import", "-c", "CMD [\"sh\"]", Fixtures.busyboxTar, "bb").status == 0 else { throw TestFailure("import failed") }
        let fill = d.berth("run", "--name", "filler", "--network", "none", "bb", "sh", "-c", "dd if=/dev/urandom of=/big bs=1M count=8 2>/dev/null && sha256sum /big")
        guard fill.status == 0 else { throw TestFailure("fill failed: \(fill.stderr)") }
        guard d.berth("commit", "filler", name).status == 0 else { throw TestFailure("commit failed") }
        d.berth("rm", "filler")
        return fill.stdout
    }

    /// Limits loopback in `ns` to `rate` (a token bucket), so an upload takes seconds.
    static func slowLoopback(_ ns: NetNS, rate: String) throws {
        let r = ns.run(["tc", "qdisc", "add", "dev", "lo", "root", "tbf", "rate", rate, "burst", "256kb", "latency", "2s"])
        guard r.status == 0 else { throw TestFailure("tc: \(r.stderr)") }
    }

    /// Starts `berth args` against `d` in the background.
    static func start(_ d: Daemon, _ args: String...) -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Binaries.berth)
        p.arguments = args
        p.environment = ["BERTH_HOST": d.host]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try? p.run()
        return p
    }

    /// Polls `condition` every 2 ms for up to `seconds`.
    static func waitFor(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(2_000)
        }
        return condition()
    }

    static func entries(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
    }

    /// Size of the largest regular file directly in `dir`.
    static func largestFile(in dir: String) -> Int64 {
        entries(dir).map { name -> Int64 in
            var st = stat()
            return lstat("\(dir)/\(name)", &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG ? Int64(st.st_size) : 0
        }.max() ?? 0
    }

    /// Blobs in a content store's `blobs/sha256` whose bytes do not hash to their name.
    static func misnamedBlobs(_ dir: String) -> [String] {
        entries(dir).filter { Fixtures.sha256(file: "\(dir)/\($0)") != $0 }
    }

    /// A process whose argv is exactly `argv`.
    static func process(withCommandLine argv: [String]) -> pid_t? {
        let want = Data((argv.joined(separator: "\0") + "\0").utf8)
        for name in entries("/proc") {
            guard let pid = pid_t(name), let line = FileManager.default.contents(atPath: "/proc/\(name)/cmdline") else { continue }
            if line == want { return pid }
        }
        return nil
    }
}
