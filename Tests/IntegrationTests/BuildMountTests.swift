import Foundation
import Glibc
import Testing

/// `RUN --mount` types, build secrets, intermediate containers (`--rm`/`--force-rm`), the
/// cache key's build args and `builder prune`'s filters, against a private berthd.
@Suite(.serialized) struct BuildMountTests {
    /// What grep looks for: the secret starts with it.
    static let marker = "berth-s3cr3t-\(UUID().uuidString)"
    /// Close to the 32 KiB limit, so its header (base64 twice) must fit berthd's request head.
    static let secret = marker + String(repeating: "-pad", count: 8000)

    /// Every file under `dir` holding `needle` (layer blobs, configs, the cache, records).
    static func files(containing needle: String, under dir: String) -> [String] {
        let r = Run.run("/bin/grep", ["-r", "-l", "-a", "-D", "skip", "-F", needle, dir])
        return r.stdout.split(separator: "\n").map(String.init)
    }

    @Test func secretsTmpfsAndRwBindsLeaveNothingInTheImage() throws {
        let d = try Fixtures.daemonWithBusybox()
        let ctx = try BuildTests.context([
            "data/f.txt": "original\n",
            "Dockerfile": """
            FROM bb AS tools
            RUN mkdir /out && echo from-stage > /out/tool
            FROM bb
            RUN --mount=type=bind,from=tools,source=/out/tool,target=/t cat /t > /from-stage
            RUN --mount=type=cache,id=seeded,from=tools,source=/out,target=/c cat /c/tool > /from-cache && echo more > /c/more
            RUN --mount=type=cache,id=seeded,from=tools,source=/out,target=/c cat /c/more >> /from-cache
            RUN --mount=type=secret,id=token,mode=0440,uid=65534 test "$(stat -c %a:%u /run/secrets/token)" = 440:65534 && wc -c < /run/secrets/token > /token-size && cp /run/secrets/token /tmp/copy && rm /tmp/copy
            RUN --mount=type=secret,id=token,env=TOKEN,target=/etc/tok test "$TOKEN" = "$(cat /etc/tok)" && test -n "$TOKEN" && echo env-ok > /env-ok
            RUN --mount=type=secret,id=absent echo optional-ok > /optional && test ! -e /run/secrets/absent
            RUN --mount=type=tmpfs,target=/scratch,size=1m grep " /scratch " /proc/mounts | cut -d' ' -f3 > /tmpfs-type && echo x > /scratch/left
            RUN --mount=type=bind,source=data,target=/data,rw echo changed > /data/f.txt && cat /data/f.txt > /rw-seen
            RUN --mount=type=bind,source=data,target=/data cat /data/f.txt > /after-rw

            """,
        ])
        defer { try? FileManager.default.removeItem(atPath: ctx) }
        let secretFile = "\(ctx)/../token-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: secretFile, contents: Data(Self.secret.utf8))
        defer { unlink(secretFile) }
        let b = d.berth("build", "--secret", "id=token,src=\(secretFile)", "-t", "mounts:1", ctx)
        #expect(b.status == 0, "\(b.stdout)\(b.stderr)")
        #expect(b.stdout.contains("secret absent not provided"), "an optional secret that is missing is named: \(b.stdout)")
        let seen = d.berth("run", "--rm", "mounts:1", "cat", "/from-stage", "/from-cache", "/token-size", "/env-ok", "/optional", "/tmpfs-type", "/rw-seen", "/after-rw")
        #expect(seen.stdout == "from-stage\nfrom-stage\nmore\n\(Self.secret.utf8.count)\nenv-ok\noptional-ok\ntmpfs\nchanged\noriginal\n", "\(seen.stderr)")
        // No mount leaves its stub, or anything written into it, in the image.
        for path in ["/run/secrets", "/etc/tok", "/scratch", "/data", "/t", "/out", "/c"] {
            #expect(d.berth("run", "--rm", "mounts:1", "test", "-e", path).status == 1, "\(path) is in the image")
        }
        // The secret's bytes are nowhere in the data root: layers, configs, history, cache.
        #expect(Self.files(containing: Self.marker, under: d.dataRoot).isEmpty)
        // Nor in the exec root, where the secret files lived while the steps ran.
        #expect(Self.files(containing: Self.marker, under: d.execRoot).isEmpty)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: "\(d.execRoot)/build-secrets")) ?? ["missing"]).isEmpty)
        #expect(!d.berth("history", "--no-trunc", "mounts:1").stdout.contains(Self.marker))

        // A changed secret value does not miss the cache (only its id is part of the key);
        // the env form of --secret works as well.
        let viaEnv = Run.run(Binaries.berth, ["build", "--secret", "id=token,env=BUILD_TOKEN", "-t", "mounts:2", ctx],
                             env: ["BERTH_HOST": d.host, "BUILD_TOKEN": Self.secret + "-other"])
        #expect(viaEnv.status == 0, "\(viaEnv.stderr)")
        #expect(BuildTests.count("Running in", in: viaEnv.stdout) == 0, "\(viaEnv.stdout)")

        // --rm=false keeps no container whose environment held a secret.
        FileManager.default.createFile(atPath: "\(ctx)/Dockerfile", contents: Data("FROM bb\nRUN --mount=type=secret,id=token,env=TOKEN test -n \"$TOKEN\"\n".utf8))
        let kept = d.berth("build", "--rm=false", "--secret", "id=token,src=\(secretFile)", ctx)
        #expect(kept.status == 0, "\(kept.stderr)")
        #expect(d.berth("ps", "-aq").stdout.isEmpty)
        #expect(Self.files(containing: Self.marker, under: d.dataRoot).isEmpty)

        // A required secret nobody sent: the docker CLI (no way to send one) gets the remedy.
        FileManager.default.createFile(atPath: "\(ctx)/Dockerfile", contents: Data("FROM bb\nRUN --mount=type=secret,id=npmrc,required=true true\n".utf8))
        let missing = Run.run(Binaries.docker, ["build", ctx], env: ["DOCKER_HOST": d.host, "DOCKER_BUILDKIT": "0"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("secret npmrc not provided: pass --secret id=npmrc"), "\(missing.stdout)\(missing.stderr)")

        // What berth cannot do is refused by name.
        for (line, message) in [
            ("RUN --mount=type=ssh true", "type=ssh is not supported"),
            ("RUN --mount=type=cache,target=/c,size=1m true", "the option size does not apply to a cache mount"),
            ("RUN --mount=type=cache,target=/c,source=/x true", "source is a path in from="),
            ("RUN --mount=type=bind,target=/c,mode=0700 true", "the option mode does not apply to a bind mount"),
            ("RUN --mount=type=tmpfs,target=/t,colour=red true", "unexpected key 'colour'"),
        ] {
            FileManager.default.createFile(atPath: "\(ctx)/Dockerfile", contents: Data("FROM bb\n\(line)\n".utf8))
            let r = d.berth("build", ctx)
            #expect(r.status != 0 && r.stderr.contains(message), "\(line): \(r.stderr)")
        }
        let ssh = d.berth("build", "--ssh", "default", ctx)
        #expect(ssh.status != 0 && ssh.stderr.contains("--ssh is not supported"), "\(ssh.stderr)")
    }

    /// A step that renames its mount targets' parents and leaves symlinks to a host directory in
    /// their place: berthd's cleanup of the mount stubs removes nothing there (an empty file and
    /// an empty directory named like the targets), and the image holds only the step's links.
    @Test func mountStubCleanupNeverFollowsASymlinkOutOfTheContainer() throws {
        let d = try Fixtures.daemonWithBusybox()
        let victim = "\(d.dir)/victim"
        try FileManager.default.createDirectory(atPath: "\(victim)/canary", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: "\(victim)/empty", contents: Data())
        let secretFile = "\(d.dir)/secret"
        FileManager.default.createFile(atPath: secretFile, contents: Data("s".utf8))
        let ctx = try BuildTests.context(["Dockerfile": """
            FROM bb
            RUN --mount=type=tmpfs,target=/x/canary --mount=type=secret,id=s,target=/y/empty mv /x /x2 && ln -s \(victim) /x && mv /y /y2 && ln -s \(victim) /y && echo swapped
            """])
        defer { try? FileManager.default.removeItem(atPath: ctx) }
        let b = d.berth("build", "--secret", "id=s,src=\(secretFile)", "-t", "stubs:1", ctx)
        #expect(b.status == 0 && b.stdout.contains("swapped"), "\(b.stdout)\(b.stderr)")
        #expect(FileManager.default.fileExists(atPath: "\(victim)/canary"), "berthd removed a host directory through the step's symlink")
        #expect(FileManager.default.fileExists(atPath: "\(victim)/empty"), "berthd removed a host file through the step's symlink")
        let links = d.berth("run", "--rm", "stubs:1", "sh", "-c", "readlink /x; readlink /y")
        #expect(links.stdout == "\(victim)\n\(victim)\n", "\(links.stderr)")
    }

    /// `sharing=private`: a step that finds the cache in use gets one of its own. Two stages
    /// meet in a shared cache (so both run at once) while each holds a private one: each sees
    /// only what it wrote. (Served as locked, the second would wait for the first, which waits
    /// for it: the build would fail.)
    @Test func aPrivateCacheInUseGivesTheStepItsOwn() throws {
        let d = try Fixtures.daemonWithBusybox()
        let step = { (mine: String, theirs: String) in
            "RUN --mount=type=cache,id=sync,target=/sync --mount=type=cache,id=mine,sharing=private,target=/p echo > /p/\(mine) && touch /sync/\(mine) && for i in $(seq 1 300); do [ -e /sync/\(theirs) ] && break; sleep 0.1; done && [ -e /sync/\(theirs) ] && ls /p > /seen"
        }
        let ctx = try BuildTests.context(["Dockerfile": "FROM bb AS a\n\(step("a", "b"))\nFROM bb AS b\n\(step("b", "a"))\nFROM bb\nCOPY --from=a /seen /a\nCOPY --from=b /seen /b\n"])
        defer { try? FileManager.default.removeItem(atPath: ctx) }
        let b = d.berth("build", "-t", "private:1", ctx)
        #expect(b.status == 0, "\(b.stdout)\(b.stderr)")
        #expect(d.berth("run", "--rm", "private:1", "cat", "/a", "/b").stdout == "a\nb\n")
    }

    /// `builder prune -a` while steps use caches leaves those caches. Stage a holds the locked
    /// cache x and waits; stage b (let go through cache z once a holds x) has made its cache y
    /// and waits for x's lock, with no container yet to name y. Both stay, and each step reads
    /// back what it saw.
    @Test func builderPruneLeavesTheCachesOfRunningSteps() throws {
        let d = try Fixtures.daemonWithBusybox()
        let ctx = try BuildTests.context(["Dockerfile": """
            FROM bb AS a
            RUN --mount=type=cache,id=x,sharing=locked,target=/x --mount=type=cache,id=z,target=/z echo kept > /x/f && touch /z/started && for i in $(seq 1 300); do [ -e /x/go ] && break; sleep 0.1; done && cat /x/f > /seen
            FROM bb AS b
            RUN --mount=type=cache,id=z,target=/z for i in $(seq 1 300); do [ -e /z/started ] && break; sleep 0.1; done
            RUN --mount=type=cache,id=y,target=/y --mount=type=cache,id=x,sharing=locked,target=/x ls -a /y | wc -l > /seen && cat /x/f >> /seen
            FROM bb
            COPY --from=a /seen /a
            COPY --from=b /seen /b

            """])
        defer { try? FileManager.default.removeItem(atPath: ctx) }
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var build: Run.Result?
        DispatchQueue.global().async {
            build = d.berth("build", "-t", "held:1", ctx)
            done.signal()
        }
        let mounts = "\(d.dataRoot)/build-mounts"
        func caches() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: mounts)) ?? []).map { "\(mounts)/\($0)" }
        }
        // x holds f once a's step runs, z (which lets b go on only then) holds started; y is
        // the third directory, made by b's second step.
        var x: String?, y: String?
        for _ in 0..<300 where x == nil || y == nil {
            x = caches().first { FileManager.default.fileExists(atPath: "\($0)/f") }
            let all = caches()
            y = all.count == 3 ? all.first { $0 != x && !FileManager.default.fileExists(atPath: "\($0)/started") } : nil
            if x == nil || y == nil { usleep(100_000) }
        }
        usleep(300_000) // b's step, past making y, now waits for x's lock
        let (held, waiting) = (try #require(x, "a's step wrote its cache"), try #require(y, "b's step made its cache"))
        let prune = d.berth("builder", "prune", "-a", "-f")
        #expect(prune.status == 0, "\(prune.stderr)")
        #expect(FileManager.default.fileExists(atPath: "\(held)/f"), "the cache a step's container binds stayed")
        #expect(FileManager.default.fileExists(atPath: waiting), "the cache a step made and will bind stayed")
        #expect(FileManager.default.createFile(atPath: "\(held)/go", contents: Data()))
        done.wait()
        #expect(build?.status == 0, "\(build?.stdout ?? "")\(build?.stderr ?? "")")
        #expect(d.berth("run", "--rm", "held:1", "cat", "/a", "/b").stdout == "kept\n2\nkept\n")
    }

    @Test func aFailedStepKeepsItsContainerUnlessForceRm() throws {
        let d = try Fixtures.daemonWithBusybox()
        let ctx = try BuildTests.context(["Dockerfile": "FROM bb\nRUN echo fine > /fine\nRUN echo broken > /broken && exit 4\n"])
        defer { try? FileManager.default.removeItem(atPath: ctx) }
        // Default (--rm): the successful step's container goes, the failed one's stays, stopped,
        // with what the step wrote.
        let failed = d.berth("build", ctx)
        #expect(failed.status != 0)
        let kept = d.berth("ps", "-aq").lines
        #expect(kept.count == 1, "\(d.berth("ps", "-a").stdout)")
        if let id = kept.first {
            #expect(d.berth("inspect", "-f", "{{.State.ExitCode}}", id).stdout == "4\n")
            #expect(d.berth("cp", "\(id):/broken", "-").stdout.contains("broken"))
            #expect(d.berth("rm", id).status == 0)
        }
        // --force-rm: nothing stays.
        #expect(d.berth("build", "--force-rm", ctx).status != 0)
        #expect(d.berth("ps", "-aq").stdout.isEmpty)
        // The same through the API's query parameters, from the docker CLI: forcerm=1, then rm=0.
        let env = ["DOCKER_HOST": d.host, "DOCKER_BUILDKIT": "0"]
        #expect(Run.run(Binaries.docker, ["build", "--force-rm", ctx], env: env).status != 0)
        #expect(d.berth("ps", "-aq").stdout.isEmpty)
        FileManager.default.createFile(atPath: "\(ctx)/Dockerfile", contents: Data("FROM bb\nRUN echo one > /one\nRUN echo two > /two\n".utf8))
        let keepAll = Run.run(Binaries.docker, ["build", "--rm=false", ctx], env: env)
        #expect(keepAll.status == 0, "\(keepAll.stderr)")
        #expect(d.berth("ps", "-aq").lines.count == 2, "--rm=false keeps each step's container")
    }

    @Test func everyBuildArgInScopeIsPartOfARunStepsKey() throws {
        let d = try Fixtures.daemonWithBusybox()
        let ctx = try BuildTests.context(["f": "file\n", "Dockerfile": "FROM bb\nARG V\nARG UNUSED=same\nCOPY f /f\nLABEL l=1\nRUN echo \"v=$V\" > /v\n"])
        defer { try? FileManager.default.removeItem(atPath: ctx) }
        func build(_ args: String...) -> (ran: Int, id: String, reused: Int) {
            let r = Run.run(Binaries.berth, ["build"] + args + [ctx], env: ["BERTH_HOST": d.host])
            #expect(r.status == 0, "\(r.stderr)")
            let id = r.stdout.split(separator: "\n").last { $0.hasPrefix("Successfully built ") }.map { String($0.dropFirst("Successfully built ".count)) } ?? ""
            return (BuildTests.count("Running in", in: r.stdout), id, BuildTests.count("Using cache", in: r.stdout))
        }
        let one = build("--build-arg", "V=1")
        #expect(one.ran == 1)
        let two = build("--build-arg", "V=2")
        #expect(two.ran == 1, "another value of V runs the RUN again")
        #expect(two.reused == 4, "as in Docker, the ARG, COPY and LABEL steps before it are reused")
        #expect(two.id != one.id)
        let oneAgain = build("--build-arg", "V=1")
        #expect(oneAgain.ran == 0, "the same value reuses it")
        #expect(oneAgain.id == one.id)
        #expect(build("--build-arg", "V=1", "--build-arg", "UNUSED=other").ran == 1, "an ARG the command does not mention counts too")
        #expect(d.berth("run", "--rm", one.id, "cat", "/v").stdout == "v=1\n")
        // An ARG hidden by an ENV of its name is not in the RUN's key: the RUN sees the ENV.
        FileManager.default.createFile(atPath: "\(ctx)/Dockerfile", contents: Data("FROM bb\nARG H\nENV H=env\nRUN echo \"$H\" > /h\n".utf8))
        #expect(build("--build-arg", "H=1").ran == 1)
        #expect(build("--build-arg", "H=2").ran == 0, "H=2 is not visible to the RUN")
        // The history shows the args a RUN saw, and ARG as declared (Docker's classic form).
        let history = d.berth("history", "--no-trunc", "--format", "{{.CreatedBy}}", one.id).stdout
        #expect(history.contains("|2 UNUSED=same V=1 /bin/sh -c echo \"v=$V\" > /v"), "\(history)")
        #expect(history.contains("ARG V\n") && !history.contains("ARG V=1"), "\(history)")
    }

    @Test func builderPruneFiltersByAgeAndKeepsStorage() throws {
        let d = try Fixtures.daemonWithBusybox()
        let ctx = try BuildTests.context([
            "A.Dockerfile": "FROM bb\nRUN dd if=/dev/zero of=/a bs=1024 count=2048 2>/dev/null\nLABEL which=a\n",
            "B.Dockerfile": "FROM bb\nRUN dd if=/dev/zero of=/b bs=1024 count=2048 2>/dev/null\nLABEL which=b\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: ctx) }
        func build(_ name: String) -> Int {
            let r = d.berth("build", "-t", name.lowercased(), "-f", "\(ctx)/\(name).Dockerfile", ctx)
            #expect(r.status == 0, "\(r.stderr)")
            return BuildTests.count("Running in", in: r.stdout)
        }
        #expect(build("A") == 1)
        // A's steps were last used two days ago (the cache's own record, edited while berthd is down).
        d.stop()
        let cachePath = "\(d.dataRoot)/build-cache.json"
        let data = try #require(FileManager.default.contents(atPath: cachePath))
        var doc = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let twoDaysAgo = Date().addingTimeInterval(-2 * 86400).timeIntervalSinceReferenceDate
        doc["lastUsed"] = ((doc["lastUsed"] as? [String: Any]) ?? [:]).mapValues { _ in twoDaysAgo }
        FileManager.default.createFile(atPath: cachePath, contents: try JSONSerialization.data(withJSONObject: doc))
        try d.start()
        #expect(build("B") == 1)

        let unknown = d.berth("builder", "prune", "-f", "--filter", "type=regular")
        #expect(unknown.status != 0 && unknown.stderr.contains("type"), "\(unknown.stderr)")
        let viaAPI = Run.curl(socket: d.socket, path: "/build/prune?filters=%7B%22id%22%3A%5B%22x%22%5D%7D", method: "POST")
        #expect(viaAPI.stdout.contains("filter id is not supported"), "\(viaAPI.stdout)")

        // until=24h: only A's steps are old enough.
        let aged = d.berth("builder", "prune", "-f", "--filter", "until=24h")
        #expect(aged.status == 0, "\(aged.stderr)")
        // The docker CLI's query (filters, keep-storage) is taken: nothing is 10 days old.
        let viaDocker = Run.run(Binaries.docker, ["builder", "prune", "-f", "--filter", "until=240h", "--keep-storage", "1g"], env: ["DOCKER_HOST": d.host])
        #expect(viaDocker.status == 0 && viaDocker.stdout.contains("Total"), "\(viaDocker.stdout)\(viaDocker.stderr)")
        #expect(build("B") == 0, "B's recent steps stay")
        #expect(build("A") == 1, "A's old steps went")

        // --keep-storage: with the results gone, each RUN layer is 2 MiB the cache holds alone;
        // keeping 3 MiB drops the least recently used (B, built before A's rebuild) only.
        #expect(d.berth("rmi", "a", "b").status == 0)
        let kept = d.berth("builder", "prune", "-a", "-f", "--keep-storage", "3m")
        #expect(kept.status == 0, "\(kept.stderr)")
        #expect(build("A") == 0, "A, used last, stays")
        #expect(build("B") == 1, "B went")
    }
}
