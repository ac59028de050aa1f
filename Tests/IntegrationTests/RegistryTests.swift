import BerthOCI
import Foundation
import Testing

/// Pull, push and login against real registries in a network namespace of the test's own:
/// Debian's docker-registry, a scripted bad registry, and Debian's dockerd as the peer.
@Suite(.serialized) struct RegistryTests {
    /// A two-layer image (busybox + /app/hello) as a docker-save archive, loaded into `d` as `app:1`.
    func loadTwoLayerImage(_ d: Daemon) throws {
        let dir = "\(d.dir)/app"
        let r = Run.sh("""
        set -e
        mkdir -p \(dir)/root/app && cd \(dir)
        echo "hello from layer two" > root/app/hello
        tar --numeric-owner -C root -cf layer2.tar .
        cp \(Fixtures.busyboxTar) layer1.tar
        d1=$(sha256sum layer1.tar | cut -d' ' -f1); d2=$(sha256sum layer2.tar | cut -d' ' -f1)
        printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["cat","/app/hello"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s","sha256:%s"]}}' $d1 $d2 > config.json
        printf '[{"Config":"config.json","RepoTags":["app:1"],"Layers":["layer1.tar","layer2.tar"]}]' > manifest.json
        tar -cf app.tar manifest.json config.json layer1.tar layer2.tar
        """)
        guard r.status == 0 else { throw TestFailure("cannot build the two-layer archive: \(r.stderr)") }
        let load = d.berth("load", "-i", "\(dir)/app.tar")
        guard load.status == 0 else { throw TestFailure("load failed: \(load.stderr)") }
    }

    func blobGETs(_ registry: DebianRegistry) -> Int { registry.requests("GET", "/v2/").filter { $0.contains("/blobs/") }.count }

    @Test func berthPushesToDebianRegistryAndASecondDaemonPullsAndRunsIt() throws {
        let ns = try NetNS()
        let registry = try DebianRegistry(netns: ns)
        let d1 = try Daemon(netns: ns)
        #expect(d1.berth("import", "-c", "CMD [\"sh\"]", Fixtures.busyboxTar, "bb").status == 0)
        let name = "\(registry.host)/test/bb:1"
        #expect(d1.berth("tag", "bb", name).status == 0)
        let push = d1.berth("push", name)
        #expect(push.status == 0, "\(push.stderr)")
        #expect(push.lines.first == "The push refers to repository [\(registry.host)/test/bb]")
        #expect(push.stdout.contains(": Pushed"))
        let digest = push.lines.first { $0.hasPrefix("1: digest: sha256:") }?.split(separator: " ")[2] ?? ""
        #expect(!digest.isEmpty, "\(push.stdout)")
        #expect(d1.berth("inspect", "-f", "{{json .RepoDigests}}", "bb").stdout.contains("\(registry.host)/test/bb@\(digest)"))
        let again = d1.berth("push", name)
        #expect(again.stdout.contains("Layer already exists") && !again.stdout.contains("Pushed"), "\(again.stdout)")

        let d2 = try Daemon(netns: ns)
        let pull = d2.berth("pull", name)
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(pull.lines.first == "1: Pulling from test/bb")
        #expect(pull.stdout.contains(": Pull complete"))
        #expect(pull.stdout.contains("Digest: \(digest)"))
        #expect(pull.stdout.contains("Status: Downloaded newer image for \(name)"))
        #expect(pull.lines.last == name)
        #expect(d2.berth("inspect", "-f", "{{.Id}}", name).stdout == d1.berth("inspect", "-f", "{{.Id}}", "bb").stdout)
        let run = d2.berth("run", "--rm", "--network", "none", name, "echo", "pulled and running")
        #expect(run.stdout == "pulled and running\n", "\(run.stderr)")
        let up = d2.berth("pull", "-q", name)
        #expect(up.stdout == "\(name)\n")
        #expect(d2.berth("pull", name).stdout.contains("Status: Image is up to date for \(name)"))

        // skopeo sees what berth pushed: the same manifest digest and layers.
        let sk = ns.run("/usr/bin/skopeo", ["inspect", "--tls-verify=false", "docker://\(name)"])
        #expect(sk.status == 0, "\(sk.stderr)")
        let info = try JSONSerialization.jsonObject(with: Data(sk.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(info["Digest"] as? String == String(digest))
        let layers = d2.berth("inspect", "-f", "{{range .RootFS.Layers}}{{.}}{{end}}", name).stdout.trimmingCharacters(in: .newlines)
        #expect((info["Layers"] as? [String]) == [layers], "imported layers are pushed uncompressed: digest == diff_id")

        // The docker CLI renders berthd's pull stream and its 404.
        #expect(d2.berth("rmi", name).status == 0)
        let dpull = d2.docker("pull", name)
        #expect(dpull.status == 0, "\(dpull.stderr)")
        #expect(dpull.stdout.contains("Pull complete") && dpull.lines.last == name, "\(dpull.stdout)")
        let viaDocker = "\(registry.host)/test/viadocker:1"
        #expect(d2.docker("tag", name, viaDocker).status == 0)
        let dpush = d2.docker("push", viaDocker)
        #expect(dpush.status == 0 && dpush.stdout.contains("Mounted from test/bb") && dpush.stdout.contains("1: digest: \(digest)"), "\(dpush.stdout) \(dpush.stderr)")
        let missing = d2.docker("pull", "\(registry.host)/test/nope:1")
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("manifest for \(registry.host)/test/nope:1 not found: manifest unknown"), "\(missing.stderr)")
        // `run` of an image that is not here pulls it first.
        #expect(d2.berth("rmi", name, viaDocker).status == 0)
        let auto = d2.berth("run", "--rm", "--network", "none", name, "echo", "auto")
        #expect(auto.stdout == "auto\n")
        #expect(auto.stderr.contains("Unable to find image '\(name)' locally") && auto.stderr.contains("Pull complete"), "\(auto.stderr)")

        // skopeo copies berth's push out, and what skopeo pushes berth pulls and runs.
        let copied = ns.run("/usr/bin/skopeo", ["copy", "--src-tls-verify=false", "docker://\(name)", "oci:\(d2.dir)/oci:bb"])
        #expect(copied.status == 0, "\(copied.stderr)")
        let bySkopeo = "\(registry.host)/skopeo/bb:1"
        let skPush = ns.run("/usr/bin/skopeo", ["copy", "--dest-tls-verify=false", "oci:\(d2.dir)/oci:bb", "docker://\(bySkopeo)"])
        #expect(skPush.status == 0, "\(skPush.stderr)")
        #expect(d2.berth("pull", bySkopeo).status == 0)
        #expect(d2.berth("run", "--rm", "--network", "none", bySkopeo, "echo", "via skopeo").stdout == "via skopeo\n")

        // `docker run` of an image berthd lacks: the CLI's own 404 → pull → create.
        let d3 = try Daemon(netns: ns)
        let drun = d3.docker("run", "--rm", "--network", "none", name, "echo", "docker pulled it")
        #expect(drun.stdout == "docker pulled it\n", "\(drun.stderr)")
        #expect(drun.stderr.contains("Unable to find image '\(name)' locally"))
    }

    @Test func imageSharingBaseLayersPullsOnlyItsNewBlobsAndPushMountsTheShared() throws {
        let ns = try NetNS()
        let registry = try DebianRegistry(netns: ns)
        let d1 = try Daemon(netns: ns)
        #expect(d1.berth("import", "-c", "CMD [\"sh\"]", Fixtures.busyboxTar, "bb").status == 0)
        try loadTwoLayerImage(d1)
        let base = "\(registry.host)/lib/base:1", app = "\(registry.host)/team/app:1"
        #expect(d1.berth("tag", "bb", base).status == 0 && d1.berth("tag", "app:1", app).status == 0)
        #expect(d1.berth("push", base).status == 0)
        let pushApp = d1.berth("push", app)
        #expect(pushApp.status == 0, "\(pushApp.stderr)")
        #expect(pushApp.stdout.contains("Mounted from lib/base"), "the shared layer is mounted, not uploaded: \(pushApp.stdout)")
        #expect(pushApp.stdout.components(separatedBy: ": Pushed").count == 2, "only the new layer is uploaded: \(pushApp.stdout)")

        let d2 = try Daemon(netns: ns)
        #expect(d2.berth("pull", base).status == 0)
        let before = blobGETs(registry)
        let pull = d2.berth("pull", app)
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(pull.stdout.contains("Already exists"))
        #expect(blobGETs(registry) - before == 2, "the config and the one new layer, nothing else: \(registry.requests("GET", "/v2/"))")
        let run = d2.berth("run", "--rm", "--network", "none", app)
        #expect(run.stdout == "hello from layer two\n", "\(run.stderr)")

        // `pull -a` brings every tag of a repository.
        #expect(d1.berth("tag", "app:1", "\(registry.host)/team/app:2").status == 0)
        #expect(d1.berth("push", "-a", "\(registry.host)/team/app").status == 0)
        let all = d2.berth("pull", "-a", "\(registry.host)/team/app")
        #expect(all.status == 0, "\(all.stderr)")
        #expect(all.lines.last == "\(registry.host)/team/app")
        #expect(d2.berth("images", "--format", "{{.Tag}}", "\(registry.host)/team/app").lines.sorted() == ["1", "2"])

        // docker-py's pull, as DockerSpawner makes it.
        let py = Run.run("/usr/bin/python3", ["-c", """
            import docker, sys
            c = docker.DockerClient(base_url="unix://" + sys.argv[1])
            c.images.remove(sys.argv[2])
            img = c.images.pull(sys.argv[2].rsplit(":", 1)[0], tag="1")
            print(img.tags)
            """, d2.socket, app])
        #expect(py.status == 0 && py.stdout.contains("'\(app)'"), "\(py.stdout) \(py.stderr)")
    }

    @Test func badRegistriesAreRefusedAndNothingOfTheirsIsKept() throws {
        let ns = try NetNS()
        let layer = Data(try Data(contentsOf: URL(fileURLWithPath: Fixtures.busyboxTar)).prefix(10240))
        let layerDigest = Digest.sha256(of: layer).description
        var tampered = layer
        tampered[600] ^= 0xff
        let config = Data(#"{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["\#(layerDigest)"]}}"#.utf8)
        let configDigest = Digest.sha256(of: config).description
        func manifest(configType: String) -> Data {
            Data(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"\#(configType)","digest":"\#(configDigest)","size":\#(config.count)},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"\#(layerDigest)","size":\#(layer.count)}]}"#.utf8)
        }
        let ociType = ["Content-Type": "application/vnd.oci.image.manifest.v1+json"]
        let registry = try ScriptedRegistry(netns: ns, routes: [
            "/v2/": .init(),
            "/v2/evil/img/manifests/1": .init(headers: ociType, body: manifest(configType: "application/vnd.oci.image.config.v1+json")),
            "/v2/evil/img/manifests/helm": .init(headers: ociType, body: manifest(configType: "application/vnd.cncf.helm.config.v1+json")),
            "/v2/evil/img/manifests/big": .init(headers: ociType, body: Data(repeating: 0x20, count: 5 << 20)),
            "/v2/evil/img/manifests/loop": .init(status: 302, headers: ["Location": "/v2/evil/img/manifests/loop2"]),
            "/v2/evil/img/manifests/loop2": .init(status: 302, headers: ["Location": "/v2/evil/img/manifests/loop"]),
            "/v2/evil/img/blobs/\(configDigest)": .init(body: config),
            "/v2/evil/img/blobs/\(layerDigest)": .init(body: tampered),
        ])
        let d = try Daemon(netns: ns)
        let repo = "\(registry.host)/evil/img"
        let wrong = d.berth("pull", "\(repo):1")
        #expect(wrong.status != 0)
        #expect(wrong.stderr.contains(layerDigest) && wrong.stderr.contains(repo) && wrong.stderr.contains("failed verification"), "\(wrong.stderr)")
        let helm = d.berth("pull", "\(repo):helm")
        #expect(helm.status != 0 && helm.stderr.contains("is not a container image"), "\(helm.stderr)")
        let big = d.berth("pull", "\(repo):big")
        #expect(big.status != 0 && big.stderr.contains("limit"), "\(big.stderr)")
        let loop = d.berth("pull", "\(repo):loop")
        #expect(loop.status != 0 && loop.stderr.contains("loop"), "\(loop.stderr)")

        #expect(d.entries("content/blobs/sha256").isEmpty, "nothing reached the content store")
        #expect(d.entries("content/ingest").isEmpty)
        #expect(d.entries("layers") == ["l"], "no snapshot")
        #expect(d.berth("images", "-q").stdout.isEmpty)
        #expect(registry.requests.contains { $0.contains("/blobs/\(layerDigest)") })
    }

    @Test func dockerdAndBerthExchangeImagesThroughTheRegistry() throws {
        let ns = try NetNS()
        let registry = try DebianRegistry(netns: ns)
        let dk = try DockerDaemon(netns: ns)
        let d = try Daemon(netns: ns)
        let ctx = "\(d.dir)/ctx"
        try FileManager.default.createDirectory(atPath: ctx, withIntermediateDirectories: true)
        try "FROM base:1\nRUN echo built-by-docker > /built && rm /bin/vi\n".write(toFile: "\(ctx)/Dockerfile", atomically: true, encoding: .utf8)
        #expect(dk.docker("import", Fixtures.busyboxTar, "base:1").status == 0)
        let fromDocker = "\(registry.host)/interop/docker:1"
        let build = dk.docker("build", "--network", "none", "-q", "-t", fromDocker, ctx)
        #expect(build.status == 0, "\(build.stderr)")
        let dpush = dk.docker("push", fromDocker)
        #expect(dpush.status == 0, "\(dpush.stderr)")

        let pull = d.berth("pull", fromDocker)
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(d.berth("inspect", "-f", "{{.Id}}", fromDocker).stdout == dk.docker("inspect", "-f", "{{.Id}}", fromDocker).stdout)
        let run = d.berth("run", "--rm", "--network", "none", fromDocker, "sh", "-c", "cat /built; test -e /bin/vi || echo whiteout-applied")
        #expect(run.stdout == "built-by-docker\nwhiteout-applied\n", "\(run.stderr)")

        let fromBerth = "\(registry.host)/interop/berth:1"
        #expect(d.berth("import", "-c", "CMD [\"sh\"]", Fixtures.busyboxTar, fromBerth).status == 0)
        #expect(d.berth("push", fromBerth).status == 0)
        let dpull = dk.docker("pull", fromBerth)
        #expect(dpull.status == 0, "\(dpull.stderr)")
        #expect(dk.docker("inspect", "-f", "{{.Id}}", fromBerth).stdout == d.berth("inspect", "-f", "{{.Id}}", fromBerth).stdout)
        let drun = dk.docker("run", "--rm", "--network", "none", fromBerth, "echo", "docker runs berth's push")
        #expect(drun.stdout == "docker runs berth's push\n", "\(drun.stderr)")
    }

    @Test func loginStoresCredentialsThatPullAndPushUse() throws {
        let ns = try NetNS()
        let registry = try DebianRegistry(netns: ns, users: ["alice": "s3cret"])
        let d = try Daemon(netns: ns)
        #expect(d.berth("import", Fixtures.busyboxTar, "bb").status == 0)
        let name = "\(registry.host)/private/bb:1"
        #expect(d.berth("tag", "bb", name).status == 0)
        let config = "\(d.dir)/dockercfg"
        func berth(_ args: String..., stdin: String? = nil) -> Run.Result {
            Run.run(Binaries.berth, args, env: ["BERTH_HOST": d.host, "DOCKER_CONFIG": config], stdinFile: stdin)
        }
        let denied = berth("push", name)
        #expect(denied.status != 0 && denied.stderr.contains("unauthorized"), "\(denied.stderr)")
        try "wrong\n".write(toFile: "\(d.dir)/bad", atomically: true, encoding: .utf8)
        let bad = berth("login", "-u", "alice", "--password-stdin", registry.host, stdin: "\(d.dir)/bad")
        #expect(bad.status != 0 && bad.stderr.contains("401"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(config)/config.json"))

        try "s3cret\n".write(toFile: "\(d.dir)/pw", atomically: true, encoding: .utf8)
        let login = berth("login", "-u", "alice", "--password-stdin", registry.host, stdin: "\(d.dir)/pw")
        #expect(login.stdout == "Login Succeeded\n", "\(login.stderr)")
        let stored = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(config)/config.json"))) as? [String: Any]
        let auths = stored?["auths"] as? [String: [String: String]]
        #expect(auths?[registry.host]?["auth"] == Data("alice:s3cret".utf8).base64EncodedString())
        let push = berth("push", name)
        #expect(push.status == 0, "\(push.stderr)")
        #expect(d.berth("rmi", name).status == 0)
        #expect(berth("pull", name).status == 0)

        // The docker CLI logs in through berthd's /auth and pulls with its own config.
        let dockerConfig = "\(d.dir)/docker-cli-config"
        let dlogin = Run.run(Binaries.docker, ["--config", dockerConfig, "login", "-u", "alice", "--password-stdin", registry.host],
                             env: ["DOCKER_HOST": d.host], stdinFile: "\(d.dir)/pw")
        #expect(dlogin.stdout.contains("Login Succeeded"), "\(dlogin.stderr)")
        #expect(d.berth("rmi", name).status == 0)
        let dpull = Run.run(Binaries.docker, ["--config", dockerConfig, "pull", name], env: ["DOCKER_HOST": d.host])
        #expect(dpull.status == 0, "\(dpull.stderr)")

        let logout = berth("logout", registry.host)
        #expect(logout.stdout == "Removing login credentials for \(registry.host)\n")
        #expect(d.berth("rmi", name).status == 0)
        let anonymous = berth("pull", name)
        #expect(anonymous.status != 0 && anonymous.stderr.contains("unauthorized"), "\(anonymous.stderr)")
        #expect(berth("logout", registry.host).stdout == "Not logged in to \(registry.host)\n")

        // With a credsStore, the secret goes to the docker-credential-* program, not config.json.
        let helperDir = "\(d.dir)/helper"
        try FileManager.default.createDirectory(atPath: helperDir, withIntermediateDirectories: true)
        try """
        #!/bin/sh
        f=\(helperDir)/secret.json
        case "$1" in
        store) cat > $f ;;
        get) if [ -f $f ]; then cat $f; else echo "credentials not found in native keychain"; exit 1; fi ;;
        erase) rm -f $f ;;
        esac
        """.write(toFile: "\(helperDir)/docker-credential-berthtest", atomically: true, encoding: .utf8)
        chmod("\(helperDir)/docker-credential-berthtest", 0o755)
        try #"{"credsStore":"berthtest"}"#.write(toFile: "\(config)/config.json", atomically: true, encoding: .utf8)
        let path = "\(helperDir):" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        func berthWithHelper(_ args: String..., stdin: String? = nil) -> Run.Result {
            Run.run(Binaries.berth, args, env: ["BERTH_HOST": d.host, "DOCKER_CONFIG": config, "PATH": path], stdinFile: stdin)
        }
        let hlogin = berthWithHelper("login", "-u", "alice", "--password-stdin", registry.host, stdin: "\(d.dir)/pw")
        #expect(hlogin.stdout == "Login Succeeded\n", "\(hlogin.stderr)")
        #expect(!((try? String(contentsOfFile: "\(config)/config.json", encoding: .utf8)) ?? "s3cret").contains("s3cret"))
        #expect(((try? String(contentsOfFile: "\(helperDir)/secret.json", encoding: .utf8)) ?? "").contains("s3cret"))
        let hpull = berthWithHelper("pull", name)
        #expect(hpull.status == 0, "\(hpull.stderr)")
    }

    @Test func downloadCutByKillingBerthdResumesWithRangeAfterRestart() throws {
        let ns = try NetNS()
        let layer = try Data(contentsOf: URL(fileURLWithPath: Fixtures.busyboxTar))
        let layerDigest = Digest.sha256(of: layer).description
        let config = Data(#"{"architecture":"amd64","os":"linux","config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["\#(layerDigest)"]}}"#.utf8)
        let configDigest = Digest.sha256(of: config).description
        let manifest = Data(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(configDigest)","size":\#(config.count)},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"\#(layerDigest)","size":\#(layer.count)}]}"#.utf8)
        // About 0.05 s per 64 KiB: the busybox layer takes seconds, time enough to kill berthd midway.
        let registry = try ScriptedRegistry(netns: ns, routes: [
            "/v2/": .init(),
            "/v2/slow/bb/manifests/1": .init(headers: ["Content-Type": "application/vnd.oci.image.manifest.v1+json"], body: manifest),
            "/v2/slow/bb/blobs/\(configDigest)": .init(body: config),
            "/v2/slow/bb/blobs/\(layerDigest)": .init(body: layer, delay: 0.05),
        ])
        let d = try Daemon(netns: ns)
        let name = "\(registry.host)/slow/bb:1"
        let first = Process()
        first.executableURL = URL(fileURLWithPath: Binaries.berth)
        first.arguments = ["pull", "-q", name]
        first.environment = ["BERTH_HOST": d.host]
        first.standardOutput = FileHandle.nullDevice
        first.standardError = FileHandle.nullDevice
        try first.run()
        let partial = "\(d.dataRoot)/content/ingest/\(layerDigest.dropFirst(7)).partial"
        var kept: Int64 = 0
        for _ in 0..<300 where kept < 300_000 {
            usleep(20_000)
            kept = ((try? FileManager.default.attributesOfItem(atPath: partial))?[.size] as? NSNumber)?.int64Value ?? 0
        }
        #expect(kept >= 300_000, "the download was under way")
        d.kill9()
        first.waitUntilExit()
        try d.start()
        let pull = d.berth("pull", name)
        #expect(pull.status == 0, "\(pull.stderr)")
        let ranged = registry.requests.filter { $0.contains("/blobs/\(layerDigest)") && $0.contains("Range:bytes=") }
        #expect(ranged.count == 1, "\(registry.requests)")
        let offset = ranged.first.flatMap { Int($0.split(separator: "=").last?.dropLast() ?? "") } ?? 0
        #expect(offset >= 300_000 && offset < layer.count, "resumed where the killed download stopped")
        #expect(d.berth("run", "--rm", "--network", "none", name, "echo", "resumed").stdout == "resumed\n")
        #expect(d.entries("content/ingest").isEmpty)
    }

    @Test func indexPicksTheHostPlatformAndZstdLayersAndDigestPullsWork() throws {
        let ns = try NetNS()
        let d = try Daemon(netns: ns)
        let zst = "\(d.dir)/layer.tar.zst"
        #expect(Run.run("/usr/bin/zstd", ["-q", "-f", Fixtures.busyboxTar, "-o", zst]).status == 0)
        let layer = try Data(contentsOf: URL(fileURLWithPath: zst))
        let diffID = Digest.sha256(of: try Data(contentsOf: URL(fileURLWithPath: Fixtures.busyboxTar))).description
        let config = Data(#"{"architecture":"amd64","os":"linux","config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["\#(diffID)"]}}"#.utf8)
        let configDigest = Digest.sha256(of: config).description
        let manifest = Data(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(configDigest)","size":\#(config.count)},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+zstd","digest":"\#(Digest.sha256(of: layer))","size":\#(layer.count)}]}"#.utf8)
        let manifestDigest = Digest.sha256(of: manifest).description
        let arm = "sha256:" + String(repeating: "a", count: 64)
        let index = Data(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(arm)","size":100,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(manifestDigest)","size":\#(manifest.count),"platform":{"architecture":"amd64","os":"linux"}}]}"#.utf8)
        let indexDigest = Digest.sha256(of: index).description
        let registry = try ScriptedRegistry(netns: ns, routes: [
            "/v2/": .init(),
            "/v2/multi/img/manifests/1": .init(headers: ["Content-Type": "application/vnd.oci.image.index.v1+json"], body: index),
            "/v2/multi/img/manifests/\(manifestDigest)": .init(headers: ["Content-Type": "application/vnd.oci.image.manifest.v1+json"], body: manifest),
            "/v2/multi/img/blobs/\(configDigest)": .init(body: config),
            "/v2/multi/img/blobs/\(Digest.sha256(of: layer))": .init(body: layer),
        ])
        let name = "\(registry.host)/multi/img:1"
        let pull = d.berth("pull", name)
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(pull.stdout.contains("Digest: \(indexDigest)"), "the digest the tag names: the index")
        #expect(!registry.requests.contains { $0.contains(arm) }, "the arm64 manifest is never fetched")
        #expect(d.berth("inspect", "-f", "{{json .RepoDigests}}", name).stdout == "[\"\(registry.host)/multi/img@\(indexDigest)\"]\n")
        #expect(d.berth("run", "--rm", "--network", "none", name, "echo", "zstd").stdout == "zstd\n")

        let other = d.berth("pull", "--platform", "linux/s390x", name)
        #expect(other.status != 0 && other.stderr.contains("no matching manifest for linux/s390x"), "\(other.stderr)")

        #expect(d.berth("rmi", name).status == 0)
        let byDigest = "\(registry.host)/multi/img@\(manifestDigest)"
        let digestPull = d.berth("pull", byDigest)
        #expect(digestPull.status == 0, "\(digestPull.stderr)")
        #expect(digestPull.stdout.contains("Status: Downloaded newer image for \(byDigest)"))
        #expect(d.berth("images", "--format", "{{.Repository}} {{.Tag}}").stdout == "\(registry.host)/multi/img <none>\n")
        #expect(d.berth("run", "--rm", "--network", "none", byDigest, "echo", "by digest").stdout == "by digest\n")
    }
}
