import Foundation
import Glibc
import Testing

/// `berth build` and `POST /build` against a private berthd, from the busybox fixture.
@Suite(.serialized) struct BuildTests {
    /// A context directory with `files` (path → content).
    static func context(_ files: [String: String]) throws -> String {
        let dir = try TempDir.make("buildctx")
        for (path, text) in files {
            let full = "\(dir)/\(path)"
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: full, contents: Data(text.utf8)) else { throw TestFailure("cannot write \(full)") }
        }
        return dir
    }

    static func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    @Test func rebuildsReuseTheCacheAndAChangedFileRebuildsFromItsStep() throws {
        let d = try Fixtures.daemonWithBusybox()
        let ctx = try Self.context([
            "a.txt": "alpha\n", "b.txt": "bravo\n",
            "Dockerfile": """
            FROM bb
            ARG GREETING=hello
            ENV WHO=world
            COPY a.txt /a.txt
            RUN echo "$GREETING $WHO ${MISSING:-fallback}" > /greeting && cat /a.txt > /copied-a
            COPY b.txt /data/
            RUN cat /data/b.txt > /copied-b
            WORKDIR /srv/app
            CMD ["cat", "/greeting", "/copied-a", "/copied-b"]

            """,
        ])
        defer { try? FileManager.default.removeItem(atPath: ctx) }
        let first = d.berth("build", "-t", "cached:1", ctx)
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(Self.count("Running in", in: first.stdout) == 2)
        #expect(first.stdout.contains("Step 1/9 : FROM bb"))
        let id = d.berth("inspect", "-f", "{{.Id}}", "cached:1").stdout
        let run = d.berth("run", "--rm", "cached:1")
        #expect(run.stdout == "hello world fallback\nalpha\nbravo\n", "\(run.stderr)")
        #expect(d.berth("run", "--rm", "cached:1", "pwd").stdout == "/srv/app\n")
        // Intermediate images stay hidden.
        #expect(d.berth("images", "-q").lines.count == 2)

        // Unchanged: every step from the cache, no RUN executed, the same image.
        let again = d.berth("build", "-t", "cached:1", ctx)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(Self.count("Running in", in: again.stdout) == 0)
        #expect(Self.count("Using cache", in: again.stdout) == 8)
        #expect(d.berth("inspect", "-f", "{{.Id}}", "cached:1").stdout == id)

        // One file changed (and only its mtime for the other): the steps from its COPY rebuild.
        FileManager.default.createFile(atPath: "\(ctx)/b.txt", contents: Data("charlie\n".utf8))
        var times = [timespec(tv_sec: 1_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000, tv_nsec: 0)]
        utimensat(AT_FDCWD, "\(ctx)/a.txt", &times, 0)
        let partial = d.berth("build", "-t", "cached:2", ctx)
        #expect(partial.status == 0, "\(partial.stderr)")
        #expect(Self.count("Running in", in: partial.stdout) == 1)
        #expect(Self.count("Using cache", in: partial.stdout) == 4)
        #expect(d.berth("run", "--rm", "cached:2").stdout == "hello world fallback\nalpha\ncharlie\n")

        // A build arg reaches RUN and misses the cache.
        let arg = d.berth("build", "--build-arg", "GREETING=hi", "-q", ctx)
        #expect(arg.status == 0, "\(arg.stderr)")
        let argID = arg.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(d.berth("run", "--rm", argID).stdout.hasPrefix("hi world fallback\n"))

        // The cache survives a restart of berthd.
        d.stop()
        try d.start()
        let afterRestart = d.berth("build", "-t", "cached:2", ctx)
        #expect(Self.count("Running in", in: afterRestart.stdout) == 0, "\(afterRestart.stdout)")

        // --no-cache runs everything; builder prune forgets the cache.
        let noCache = d.berth("build", "--no-cache", "-t", "cached:3", ctx)
        #expect(Self.count("Running in", in: noCache.stdout) == 2)
        let prune = d.berth("builder", "prune", "-f")
        #expect(prune.status == 0, "\(prune.stderr)")
        #expect(prune.stdout.contains("Total reclaimed space"))
        let afterPrune = d.berth("build", "-t", "cached:2", ctx)
        #expect(Self.count("Running in", in: afterPrune.stdout) == 2)
        #expect(d.berth("ps", "-aq").stdout.isEmpty, "build containers are removed")
    }

    @Test func multiStageHeredocTargetAndDockerignore() throws {
        let d = try Fixtures.daemonWithBusybox()
        let ctx = try Self.context([
            "secret.txt": "top secret\n", "keep/visible.txt": "shown\n", ".dockerignore": "secret.txt\n.dockerignore\n",
            "Dockerfile": """
            FROM bb AS builder
            RUN <<EOF
            mkdir -p /out
            echo built > /out/artifact
            EOF
            FROM bb AS unused
            RUN exit 9
            FROM bb
            COPY --from=builder /out/artifact /app/
            COPY <<EOF /app/note
            from a heredoc
            EOF
            COPY . /ctx/
            RUN ls /ctx > /ctx-list
            ADD keep/pkg.tar /unpacked/
            COPY --chown=nobody:nogroup --chmod=640 keep/visible.txt /owned/
            RUN --mount=type=cache,target=/var/cache/t echo cached-one > /var/cache/t/f
            RUN --mount=type=cache,target=/var/cache/t --mount=type=bind,source=keep,target=/mnt cat /var/cache/t/f /mnt/visible.txt > /seen
            USER nobody
            RUN stat -c '%u:%g %a' /owned/visible.txt && test "$(id -u)" = 65534

            """,
        ])
        defer { try? FileManager.default.removeItem(atPath: ctx) }
        let pkg = try TempDir.make("pkg")
        defer { try? FileManager.default.removeItem(atPath: pkg) }
        FileManager.default.createFile(atPath: "\(pkg)/inside.txt", contents: Data("unpacked\n".utf8))
        #expect(Run.run("/bin/tar", ["-C", pkg, "-cf", "\(ctx)/keep/pkg.tar", "inside.txt"]).status == 0)
        let b = d.berth("build", "-t", "multi:1", ctx)
        #expect(b.status == 0, "\(b.stdout)\(b.stderr)")
        #expect(!b.stdout.contains("exit 9"), "a stage the target does not need is not built")
        let r = d.berth("run", "--rm", "multi:1", "sh", "-c", "cat /app/artifact /app/note /ctx-list /ctx/keep/visible.txt")
        #expect(r.stdout == "built\nfrom a heredoc\nDockerfile\nkeep\nshown\n", "\(r.stderr)")
        #expect(d.berth("run", "--rm", "multi:1", "test", "-e", "/ctx/secret.txt").status == 1)
        #expect(d.berth("run", "--rm", "multi:1", "test", "-e", "/ctx/.dockerignore").status == 1, "an ignored .dockerignore is read, not copied")
        #expect(d.berth("run", "--rm", "multi:1", "cat", "/unpacked/inside.txt").stdout == "unpacked\n", "ADD extracts a local tar")
        // RUN --mount: a cache directory shared between steps, a read-only bind of the context; neither in the image.
        #expect(d.berth("run", "--rm", "multi:1", "cat", "/seen").stdout == "cached-one\nshown\n")
        #expect(d.berth("run", "--rm", "multi:1", "test", "-e", "/var/cache/t/f").status == 1)
        #expect(b.stdout.contains("65534:65534 640\n"), "COPY --chown/--chmod: \(b.stdout)")

        // Independent stages run at the same time: each waits for the other's mark in a shared
        // cache mount, which only works when both run at once.
        let rendezvous = { (mine: String, theirs: String) in
            "RUN --mount=type=cache,id=sync,target=/sync touch /sync/\(mine) && for i in $(seq 1 300); do [ -e /sync/\(theirs) ] && exit 0; sleep 0.1; done; exit 1"
        }
        let parallel = "FROM bb AS a\n\(rendezvous("a", "b"))\nFROM bb AS b\n\(rendezvous("b", "a"))\nFROM bb\nCOPY --from=a /etc/passwd /a\nCOPY --from=b /etc/passwd /b\n"
        FileManager.default.createFile(atPath: "\(ctx)/Parallel.Dockerfile", contents: Data(parallel.utf8))
        let p = d.berth("build", "-f", "\(ctx)/Parallel.Dockerfile", ctx)
        #expect(p.status == 0, "\(p.stdout)\(p.stderr)")

        let t = d.berth("build", "--target", "builder", "-t", "multi:builder", ctx)
        #expect(t.status == 0, "\(t.stderr)")
        #expect(d.berth("run", "--rm", "multi:builder", "cat", "/out/artifact").stdout == "built\n")
        #expect(d.berth("run", "--rm", "multi:builder", "test", "-e", "/app").status == 1)
    }

    @Test func failuresNameTheLineAndEscapesAreRefused() throws {
        let d = try Fixtures.daemonWithBusybox()
        let ctx = try Self.context(["Dockerfile": "FROM bb\nRUN true\nRUN exit 3\n", "in.txt": "x"])
        defer { try? FileManager.default.removeItem(atPath: ctx) }
        let failed = d.berth("build", "--force-rm", ctx)
        #expect(failed.status != 0)
        #expect(failed.stderr.contains("The command '/bin/sh -c exit 3' returned a non-zero code: 3"), "\(failed.stderr)")
        #expect(failed.stderr.contains("Dockerfile:3"))
        #expect(d.berth("ps", "-aq").stdout.isEmpty, "with --force-rm the failed step's container is removed too")

        FileManager.default.createFile(atPath: "\(ctx)/Dockerfile", contents: Data("FROM bb\nCOPY ../outside /x\n".utf8))
        let up = d.berth("build", ctx)
        #expect(up.status != 0)
        #expect(up.stderr.contains("outside the build context"), "\(up.stderr)")

        symlink("/etc/passwd", "\(ctx)/link")
        FileManager.default.createFile(atPath: "\(ctx)/Dockerfile", contents: Data("FROM bb\nCOPY link /x\n".utf8))
        let link = d.berth("build", ctx)
        #expect(link.status != 0)
        #expect(link.stderr.contains("outside the build context"), "\(link.stderr)")
        #expect(link.stderr.contains("Dockerfile:2"))

        // A base image's ONBUILD triggers run in the child's build, not in its own.
        FileManager.default.createFile(atPath: "\(ctx)/Dockerfile", contents: Data("FROM bb\nONBUILD RUN echo triggered > /onbuild\n".utf8))
        #expect(d.berth("build", "-t", "parent:1", ctx).status == 0)
        FileManager.default.createFile(atPath: "\(ctx)/Dockerfile", contents: Data("FROM parent:1\n".utf8))
        let child = d.berth("build", "-t", "child:1", ctx)
        #expect(child.stdout.contains("# Executing 1 build trigger"), "\(child.stdout)\(child.stderr)")
        #expect(d.berth("run", "--rm", "child:1", "cat", "/onbuild").stdout == "triggered\n")
        #expect(d.berth("run", "--rm", "parent:1", "test", "-e", "/onbuild").status == 1)

        // A repo2docker directory without a Dockerfile: the generated one, printed.
        let repo = try Self.context(["requirements.txt": "numpy\n", "apt.txt": "curl\n"])
        defer { try? FileManager.default.removeItem(atPath: repo) }
        let printed = d.berth("build", "--print-dockerfile", "--base-image", "python:3.11-slim", repo)
        #expect(printed.status == 0, "\(printed.stderr)")
        #expect(printed.stdout.contains("FROM python:3.11-slim") && printed.stdout.contains("requirements.txt") && printed.stdout.contains("curl"))
        let none = d.berth("build", try Self.context([:]))
        #expect(none.status != 0 && none.stderr.contains("no Dockerfile"), "\(none.stderr)")

        // --rm=false keeps a successful step's container.
        FileManager.default.createFile(atPath: "\(ctx)/Dockerfile", contents: Data("FROM bb\nRUN echo kept-container\n".utf8))
        #expect(d.berth("build", "--rm=false", ctx).status == 0)
        #expect(d.berth("ps", "-aq").lines.count == 1)
    }

    @Test func squashLeavesNoBytesOfADeletedFile() throws {
        let d = try Fixtures.daemonWithBusybox()
        let ctx = try Self.context(["Dockerfile": """
            FROM bb
            RUN dd if=/dev/zero of=/big bs=1024 count=512 2>/dev/null && echo kept > /keep
            RUN rm /big

            """])
        defer { try? FileManager.default.removeItem(atPath: ctx) }
        // Unsquashed, the audit shows the deleted file's bytes still shipped in layer 2.
        #expect(d.berth("build", "-t", "plain:1", ctx).status == 0)
        let audit = d.berth("image", "audit", "plain:1")
        #expect(audit.status == 0, "\(audit.stderr)")
        let layer2 = audit.lines.first { $0.hasPrefix("LAYER 2 ") } ?? ""
        #expect(layer2.contains("added 524kB") && layer2.contains("hidden by later layers 524kB"), "\(audit.stdout)")
        #expect(audit.stdout.contains(" /big\n"))
        let b = d.berth("build", "--squash", "-t", "squashed:1", ctx)
        #expect(b.status == 0, "\(b.stderr)")
        let layers = d.berth("inspect", "-f", "{{range .RootFS.Layers}}{{.}} {{end}}", "squashed:1").stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        #expect(layers.count == 2, "the base layer and one squashed layer")
        guard let top = layers.last else { return }
        let listing = Run.run("/bin/tar", ["-tvf", "\(d.dataRoot)/content/blobs/sha256/\(top.dropFirst(7))"])
        #expect(listing.stdout.contains("keep"))
        #expect(!listing.stdout.contains("big"), "\(listing.stdout)")
        #expect(d.berth("run", "--rm", "squashed:1", "cat", "/keep").stdout == "kept\n")
        #expect(d.berth("image", "audit", "squashed:1").stdout.contains("hidden 0B"))
    }

    @Test func theDockerCLIBuildsAgainstBerthd() throws {
        let d = try Fixtures.daemonWithBusybox()
        let ctx = try Self.context(["f.txt": "via docker\n", "Dockerfile": "FROM bb\nCOPY f.txt /f.txt\nRUN cat /f.txt > /g.txt\nCMD [\"cat\", \"/g.txt\"]\n"])
        defer { try? FileManager.default.removeItem(atPath: ctx) }
        let b = Run.run(Binaries.docker, ["build", "-t", "viadocker:1", ctx], env: ["DOCKER_HOST": d.host, "DOCKER_BUILDKIT": "0"])
        #expect(b.status == 0, "\(b.stdout)\(b.stderr)")
        #expect(b.stdout.contains("Successfully tagged viadocker:1"))
        #expect(d.berth("run", "--rm", "viadocker:1").stdout == "via docker\n")
        let again = Run.run(Binaries.docker, ["build", "-q", "-t", "viadocker:1", ctx], env: ["DOCKER_HOST": d.host, "DOCKER_BUILDKIT": "0"])
        #expect(again.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == d.berth("inspect", "-f", "{{.Id}}", "viadocker:1").stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        let failed = Run.run(Binaries.docker, ["build", "-f", "\(ctx)/Bad", ctx], env: ["DOCKER_HOST": d.host, "DOCKER_BUILDKIT": "0"])
        #expect(failed.status != 0)
        let prune = Run.run(Binaries.docker, ["builder", "prune", "-f"], env: ["DOCKER_HOST": d.host, "DOCKER_BUILDKIT": "0"])
        #expect(prune.status == 0, "\(prune.stderr)")
        #expect(prune.stdout.contains("Total reclaimed space"))
    }
}

extension BuildTests {
    @Test func fromPullsAMissingBaseImageAndPullRefreshesIt() throws {
        let ns = try NetNS()
        let registry = try DebianRegistry(netns: ns)
        let d = try Daemon(netns: ns)
        #expect(d.berth("import", "-c", "CMD [\"sh\"]", Fixtures.busyboxTar, "bb").status == 0)
        let base = "\(registry.host)/test/base:1"
        #expect(d.berth("tag", "bb", base).status == 0)
        #expect(d.berth("push", base).status == 0)
        #expect(d.berth("rmi", base).status == 0)
        let ctx = try Self.context(["Dockerfile": "ARG BASE\nFROM $BASE\nRUN echo pulled > /p\n"])
        defer { try? FileManager.default.removeItem(atPath: ctx) }
        let b = d.berth("build", "--build-arg", "BASE=\(base)", "-t", "onpulled:1", ctx)
        #expect(b.status == 0, "\(b.stdout)\(b.stderr)")
        #expect(registry.requests("GET", "/v2/test/base/manifests/").count == 1, "the missing base is pulled")
        #expect(d.berth("run", "--rm", "onpulled:1", "cat", "/p").stdout == "pulled\n")
        // --pull asks the registry again even though the base is now present.
        #expect(d.berth("build", "--pull", "--build-arg", "BASE=\(base)", ctx).status == 0)
        #expect(registry.requests("GET", "/v2/test/base/manifests/").count == 2)
    }
}

extension BuildTests {
    @Test func addFetchesAURLAsAFileAndA404FailsTheStep() throws {
        let ns = try NetNS()
        let server = try ScriptedRegistry(netns: ns, routes: ["/v2/": .init(), "/files/tool.tar.gz": .init(body: Data("not extracted\n".utf8))])
        let d = try Daemon(["--bridge", "none", "--firewall", "none"], netns: ns)
        #expect(d.berth("import", "-c", "CMD [\"sh\"]", Fixtures.busyboxTar, "bb").status == 0)
        let ctx = try Self.context(["Dockerfile": "FROM bb\nADD http://\(server.host)/files/tool.tar.gz /dl/\n"])
        defer { try? FileManager.default.removeItem(atPath: ctx) }
        let b = d.berth("build", "-t", "added:1", ctx)
        #expect(b.status == 0, "\(b.stdout)\(b.stderr)")
        // A URL's file is kept as it is (never extracted), mode 0600.
        #expect(d.berth("run", "--rm", "added:1", "sh", "-c", "stat -c %a /dl/tool.tar.gz && cat /dl/tool.tar.gz").stdout == "600\nnot extracted\n")
        FileManager.default.createFile(atPath: "\(ctx)/Dockerfile", contents: Data("FROM bb\nADD http://\(server.host)/missing /x\n".utf8))
        let missing = d.berth("build", ctx)
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("404") && missing.stderr.contains("Dockerfile:2"), "\(missing.stderr)")
    }

    /// Issue 8's build rows: a traversal tar ADDed in a step, links inside a copied directory, and
    /// malformed `POST /build` requests; host canaries untouched, the image list unchanged.
    @Test func hostileArchivesLinksAndBuildRequestsChangeNothingOutside() throws {
        let d = try Fixtures.daemonWithBusybox()
        let canary = try TempDir.make("build-canary")
        defer { try? FileManager.default.removeItem(atPath: canary) }
        FileManager.default.createFile(atPath: "\(canary)/keep", contents: Data("host\n".utf8))
        let ctx = try Self.context(["Dockerfile": "FROM bb\n", "dir/file": "inside\n"])
        defer { try? FileManager.default.removeItem(atPath: ctx) }

        // ADD of a local tar whose entries climb out, or go out through a link they make.
        for (name, _) in TraversalTars.make(aimedAt: canary, in: ctx) {
            FileManager.default.createFile(atPath: "\(ctx)/Dockerfile", contents: Data("FROM bb\nADD \(name).tar /unpacked/\n".utf8))
            let b = d.berth("build", "-t", "hostile:\(name)", ctx)
            #expect(b.status != 0, "\(name): \(b.stdout)")
            #expect(b.stderr.contains("Dockerfile:2") && b.stderr.contains("refusing"), "\(name): \(b.stderr)")
            #expect(d.berth("images", "-q", "hostile").stdout.isEmpty, "\(name): no image tagged")
        }
        #expect((try? String(contentsOfFile: "\(canary)/keep", encoding: .utf8)) == "host\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: canary) == ["keep"])
        var st = stat()
        #expect(stat("\(canary)/keep", &st) == 0 && st.st_nlink == 1, "no hard link to the canary was made")

        // Links inside a copied directory stay links: never followed to the host's files.
        symlink("/etc/passwd", "\(ctx)/dir/abs")
        symlink("../Dockerfile", "\(ctx)/dir/up")
        FileManager.default.createFile(atPath: "\(ctx)/Dockerfile", contents: Data("FROM bb\nCOPY dir /d/\n".utf8))
        let copied = d.berth("build", "-t", "links:1", ctx)
        #expect(copied.status == 0, "\(copied.stdout)\(copied.stderr)")
        let links = d.berth("run", "--rm", "links:1", "sh", "-c", "readlink /d/abs; readlink /d/up; cat /d/file; test -L /d/abs && test -L /d/up && echo links")
        #expect(links.stdout == "/etc/passwd\n../Dockerfile\ninside\nlinks\n", "\(links.stderr)")

        // Malformed build requests: a 4xx or an error in the stream, and no new image.
        let before = d.berth("images", "-aq").stdout
        let tar = "\(d.dir)/context.tar"
        #expect(Run.run("/bin/tar", ["-cf", tar, "-C", ctx, "Dockerfile", "dir/file"]).status == 0)
        let bodyFlags = ["-H", "Content-Type: application/x-tar", "--data-binary", "@\(tar)"]
        let refusals: [(String, [String], String)] = [
            ("/build?cachefrom=%5B%22evil%3Alatest%22%5D", bodyFlags, "cachefrom is not supported"),
            ("/build?buildargs=%7Bnot-json", bodyFlags, "buildargs"),
            ("/build?labels=%5B1%2C2%5D", bodyFlags, "labels"),
            ("/build?t=UPPER%2FCase%3A%3Atag", bodyFlags, "UPPER/Case::tag"),
            ("/build?dockerfile=..%2F..%2Fetc%2Fpasswd", bodyFlags, "forbidden path outside the build context"),
            ("/build", ["-H", "Content-Type: application/x-tar", "--data-binary", "this is not a tar archive"], "not a valid tar archive"),
        ]
        for (path, flags, needle) in refusals {
            let r = Run.curl(socket: d.socket, path: path, method: "POST", extra: flags)
            let status = Int(r.stdout.split(separator: " ").dropFirst().first ?? "") ?? 0
            let streamedError = status == 200 && r.stdout.contains("\"error\"")
            #expect((400..<500).contains(status) || streamedError, "\(path): \(r.stdout)")
            #expect(r.stdout.contains(needle), "\(path): \(r.stdout)")
        }
        #expect(d.berth("images", "-aq").stdout == before, "no request left an image behind")

        // A Dockerfile cannot put its steps on the host's network without the builder's consent;
        // a foreign cache source is refused.
        FileManager.default.createFile(atPath: "\(ctx)/Dockerfile", contents: Data("FROM bb\nRUN --network=host echo on-the-host\n".utf8))
        let denied = d.berth("build", ctx)
        #expect(denied.status != 0 && denied.stderr.contains("network.host entitlement") && denied.stderr.contains("Dockerfile:2"), "\(denied.stderr)")
        let granted = d.berth("build", "--allow", "network.host", ctx)
        #expect(granted.status == 0 && granted.stdout.contains("on-the-host"), "\(granted.stdout)\(granted.stderr)")
        let cachedDenied = d.berth("build", ctx)
        #expect(cachedDenied.status != 0 && cachedDenied.stderr.contains("network.host entitlement"), "a cached step is refused too: \(cachedDenied.stdout)")
        let insecure = d.berth("build", "--allow", "security.insecure", ctx)
        #expect(insecure.status != 0 && insecure.stderr.contains("never granted"), "\(insecure.stderr)")
        let cacheFrom = d.berth("build", "--cache-from", "evil:latest", ctx)
        #expect(cacheFrom.status != 0 && cacheFrom.stderr.contains("--cache-from is not supported"), "\(cacheFrom.stderr)")
    }
}
