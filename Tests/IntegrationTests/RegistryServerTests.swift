import Foundation
import Testing

/// `berth registry serve` against real peers in a namespace of the test's own: the docker CLI
/// (Debian's dockerd), skopeo, berthd's pull and push, and raw HTTP through curl.
@Suite(.serialized) struct RegistryServerTests {
    /// Blob uploads (`PUT` finishing an upload or a monolithic `POST ?digest=`) in the request log.
    func uploadedDigests(_ registry: BerthRegistryProcess) -> Set<String> {
        Set(registry.requests("PUT", "/blobs/uploads/").compactMap { line in
            line.range(of: "digest=sha256:").map { String(line[$0.upperBound...].prefix(64)) }
        })
    }

    /// Blob digests fetched with GET, from the request log.
    func fetchedBlobs(_ registry: BerthRegistryProcess) -> Set<String> {
        Set(registry.requests("GET", "/blobs/sha256:").compactMap { line in
            line.range(of: "/blobs/sha256:").map { String(line[$0.upperBound...].prefix(64)) }
        })
    }

    /// The value of header `name` in `curl -i` output (its lines end in CRLF, one Swift Character).
    func header(_ result: Run.Result, _ name: String) -> String {
        let prefix = name.lowercased() + ":"
        return result.stdout.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix(prefix) }
            .map { String($0.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces) } ?? ""
    }

    @Test func dockerPushesABuiltImageThatBerthPullsAndRunsAndOnlyNewLayersMove() throws {
        let ns = try NetNS()
        let registry = try BerthRegistryProcess(netns: ns)
        let dk = try DockerDaemon(netns: ns)
        let base = "\(registry.host)/team/base:1"
        let app = "\(registry.host)/team/app:1"
        #expect(dk.docker("import", "-c", "CMD [\"sh\"]", Fixtures.busyboxTar, base).status == 0)
        let dpush = dk.docker("push", base)
        #expect(dpush.status == 0, "\(dpush.stdout) \(dpush.stderr)")
        #expect(dpush.stdout.contains("1: digest: sha256:"), "\(dpush.stdout)")

        let ctx = try TempDir.make("ctx")
        defer { try? FileManager.default.removeItem(atPath: ctx) }
        try "FROM \(base)\nRUN echo built by docker > /hello\nCMD [\"cat\", \"/hello\"]\n".write(toFile: "\(ctx)/Dockerfile", atomically: true, encoding: .utf8)
        let build = dk.docker("build", "--network", "none", "-q", "-t", app, ctx)
        #expect(build.status == 0, "\(build.stderr)")
        registry.clearLog()
        let apush = dk.docker("push", app)
        #expect(apush.status == 0, "\(apush.stderr)")
        #expect(apush.stdout.contains("Layer already exists") || apush.stdout.contains("Mounted from team/base"), "\(apush.stdout)")
        // Only the new layer and the config were uploaded; the base layer was found (HEAD) or mounted.
        #expect(uploadedDigests(registry).count == 2, "\(registry.log)")

        let d = try Daemon(netns: ns)
        let pull = d.berth("pull", base)
        #expect(pull.status == 0, "\(pull.stderr)")
        registry.clearLog()
        let pullApp = d.berth("pull", app)
        #expect(pullApp.status == 0, "\(pullApp.stderr)")
        #expect(pullApp.stdout.contains("Already exists"), "\(pullApp.stdout)")
        let appLayers = dk.docker("inspect", "-f", "{{len .RootFS.Layers}}", app).stdout
        #expect(appLayers == "2\n")
        // The second image shares the base layer: only its own layer and config were fetched.
        #expect(fetchedBlobs(registry).count == 2, "\(registry.log)")
        let run = d.berth("run", "--rm", "--network", "none", app)
        #expect(run.stdout == "built by docker\n", "\(run.stderr)")

        // And back the other way: berth pushes, docker pulls and runs.
        let fromBerth = "\(registry.host)/team/from-berth:1"
        #expect(d.berth("tag", app, fromBerth).status == 0)
        let bpush = d.berth("push", fromBerth)
        #expect(bpush.status == 0, "\(bpush.stderr)")
        #expect(bpush.stdout.contains("Mounted from") || bpush.stdout.contains("Layer already exists"), "\(bpush.stdout)")
        let dpull = dk.docker("pull", fromBerth)
        #expect(dpull.status == 0, "\(dpull.stderr)")
        let drun = dk.docker("run", "--rm", "--network", "none", fromBerth)
        #expect(drun.stdout == "built by docker\n", "\(drun.stderr)")

        // The page at / lists the repositories with their pulls.
        let page = registry.curl("/")
        #expect(page.stdout.contains("<h2>team/app</h2>") && page.stdout.contains("<h2>team/base</h2>") && page.stdout.contains("<h2>team/from-berth</h2>"), "\(page.stdout)")
        #expect(page.stdout.contains("1 tag, ") && page.stdout.contains("<th>Pulls</th>"))
    }

    @Test func berthPushesOnlyTheChangedLayerAndSkopeoSeesWhatBerthSees() throws {
        let ns = try NetNS()
        let registry = try BerthRegistryProcess(netns: ns)
        let d = try Daemon(netns: ns)
        #expect(d.berth("import", "-c", "CMD [\"sh\"]", Fixtures.busyboxTar, "bb").status == 0)
        let name = "\(registry.host)/lab/bb:1"
        #expect(d.berth("tag", "bb", name).status == 0)
        let push = d.berth("push", name)
        #expect(push.status == 0, "\(push.stderr)")
        let digest = push.lines.first { $0.hasPrefix("1: digest: sha256:") }?.split(separator: " ")[2].description ?? ""

        // A child image: one more layer on top. Its push uploads that layer and the config only.
        #expect(d.berth("run", "--name", "c1", "--network", "none", name, "sh", "-c", "echo changed > /changed").status == 0)
        let child = "\(registry.host)/lab/bb:2"
        #expect(d.berth("commit", "c1", child).status == 0)
        registry.clearLog()
        let push2 = d.berth("push", child)
        #expect(push2.status == 0, "\(push2.stderr)")
        #expect(push2.stdout.contains("Layer already exists"), "\(push2.stdout)")
        let layers = d.berth("inspect", "-f", "{{range .RootFS.Layers}}{{.}} {{end}}", child).stdout.split(separator: " ").map(String.init).filter { $0.hasPrefix("sha256:") }
        #expect(layers.count == 2)
        #expect(uploadedDigests(registry).count == 2, "\(registry.log)")
        #expect(!uploadedDigests(registry).contains(String(layers[0].dropFirst(7))))

        // skopeo inspect agrees with berth on the digest and the layers.
        let sk = ns.run("/usr/bin/skopeo", ["inspect", "--tls-verify=false", "docker://\(name)"])
        #expect(sk.status == 0, "\(sk.stderr)")
        let info = try JSONSerialization.jsonObject(with: Data(sk.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(info["Digest"] as? String == digest)
        let berthLayers = d.berth("inspect", "-f", "{{range .RootFS.Layers}}{{.}}{{end}}", name).stdout.trimmingCharacters(in: .newlines)
        #expect(info["Layers"] as? [String] == [berthLayers])

        // skopeo copies out of berth's registry (dir and OCI layout) and back in under another name.
        let out = try TempDir.make("skopeo")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let toDir = ns.run("/usr/bin/skopeo", ["copy", "--src-tls-verify=false", "docker://\(child)", "dir:\(out)/dir"])
        #expect(toDir.status == 0, "\(toDir.stderr)")
        #expect(FileManager.default.fileExists(atPath: "\(out)/dir/\(layers[1].dropFirst(7))"))
        let toOCI = ns.run("/usr/bin/skopeo", ["copy", "--src-tls-verify=false", "docker://\(child)", "oci:\(out)/oci:two"])
        #expect(toOCI.status == 0, "\(toOCI.stderr)")
        let back = ns.run("/usr/bin/skopeo", ["copy", "--dest-tls-verify=false", "oci:\(out)/oci:two", "docker://\(registry.host)/copied/bb:oci"])
        #expect(back.status == 0, "\(back.stderr)")
        let archive = "\(out)/bb.tar"
        #expect(d.berth("save", "-o", archive, "bb").status == 0)
        let fromArchive = ns.run("/usr/bin/skopeo", ["copy", "--dest-tls-verify=false", "docker-archive:\(archive)", "docker://\(registry.host)/copied/bb:archive"])
        #expect(fromArchive.status == 0, "\(fromArchive.stderr)")
        let tags = registry.curl("/v2/copied/bb/tags/list")
        #expect(tags.stdout == #"{"name":"copied/bb","tags":["archive","oci"]}"#)
        let pulled = d.berth("pull", "\(registry.host)/copied/bb:oci")
        #expect(pulled.status == 0, "\(pulled.stderr)")
        let run = d.berth("run", "--rm", "--network", "none", "\(registry.host)/copied/bb:oci", "cat", "/changed")
        #expect(run.stdout == "changed\n", "\(run.stderr)")
    }

    @Test func rawHTTPChunkedUploadsRangesPaginationReferrersAndErrors() throws {
        let ns = try NetNS()
        let registry = try BerthRegistryProcess(netns: ns)
        let work = try TempDir.make("raw")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let ping = registry.curl("/v2/", "-i")
        #expect(ping.stdout.contains("Docker-Distribution-API-Version: registry/2.0"))

        // A chunked upload: two PATCHes with Content-Range, an out-of-order one refused with 416.
        let blob = Data((0..<3000).map { UInt8($0 % 251) })
        try blob.write(to: URL(fileURLWithPath: "\(work)/blob"))
        try blob.prefix(1000).write(to: URL(fileURLWithPath: "\(work)/part1"))
        try blob.dropFirst(1000).write(to: URL(fileURLWithPath: "\(work)/part2"))
        let digest = "sha256:" + Fixtures.sha256(file: "\(work)/blob")
        let start = registry.curl("/v2/raw/blobs/uploads/", "-i", "-X", "POST")
        #expect(start.stdout.hasPrefix("HTTP/1.1 202"), "\(start.stdout)")
        let location = header(start, "Location")
        let p1 = registry.curl(location, "-o", "/dev/null", "-w", "%{http_code}", "-X", "PATCH", "-H", "Content-Range: 0-999", "--data-binary", "@\(work)/part1")
        #expect(p1.stdout == "202")
        let skip = registry.curl(location, "-o", "/dev/null", "-w", "%{http_code}", "-X", "PATCH", "-H", "Content-Range: 1500-2999", "--data-binary", "@\(work)/part2")
        #expect(skip.stdout == "416")
        let wrong = registry.curl(location + "?digest=sha256:" + String(repeating: "0", count: 64), "-X", "PUT", "--data-binary", "@\(work)/part2")
        #expect(wrong.stdout.contains("DIGEST_INVALID"), "\(wrong.stdout)")
        #expect(registry.curl("/v2/raw/blobs/\(digest)", "-o", "/dev/null", "-w", "%{http_code}", "-I").stdout == "404", "a failed upload leaves no blob")

        let again = registry.curl("/v2/raw/blobs/uploads/", "-i", "-X", "POST")
        let location2 = header(again, "Location")
        #expect(registry.curl(location2, "-o", "/dev/null", "-w", "%{http_code}", "-X", "PATCH", "-H", "Content-Range: 0-999", "--data-binary", "@\(work)/part1").stdout == "202")
        let put = registry.curl(location2 + "?digest=\(digest)", "-i", "-X", "PUT", "--data-binary", "@\(work)/part2")
        #expect(put.stdout.hasPrefix("HTTP/1.1 201"), "\(put.stdout)")
        #expect(put.stdout.contains("Docker-Content-Digest: \(digest)"))

        // Range GET.
        let ranged = registry.curl("/v2/raw/blobs/\(digest)", "-i", "-H", "Range: bytes=1000-1009")
        #expect(ranged.stdout.hasPrefix("HTTP/1.1 206") && ranged.stdout.contains("Content-Range: bytes 1000-1009/3000"), "\(ranged.stdout)")
        let whole = registry.curl("/v2/raw/blobs/\(digest)", "-o", "\(work)/back")
        #expect(whole.status == 0 && (try? Data(contentsOf: URL(fileURLWithPath: "\(work)/back"))) == blob)

        // Monolithic POST of a config, then manifests: one naming a missing layer is refused.
        try Data("{}".utf8).write(to: URL(fileURLWithPath: "\(work)/config"))
        let configDigest = "sha256:" + Fixtures.sha256(file: "\(work)/config")
        #expect(registry.curl("/v2/raw/blobs/uploads/?digest=\(configDigest)", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "--data-binary", "@\(work)/config").stdout == "201")
        func manifest(_ layer: String, subject: String? = nil, artifactType: String? = nil) -> String {
            var text = #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(configDigest)","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"\#(layer)","size":3000}]"#
            if let artifactType { text += #","artifactType":"\#(artifactType)""# }
            if let subject { text += #","subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(subject)","size":1}"# }
            return text + "}"
        }
        let contentType = "Content-Type: application/vnd.oci.image.manifest.v1+json"
        let missing = registry.curl("/v2/raw/manifests/bad", "-w", " %{http_code}", "-X", "PUT", "-H", contentType, "--data-binary", manifest("sha256:" + String(repeating: "1", count: 64)))
        #expect(missing.stdout.contains("MANIFEST_BLOB_UNKNOWN") && missing.stdout.hasSuffix(" 404"), "\(missing.stdout)")
        for tag in ["a", "b", "c"] {
            #expect(registry.curl("/v2/raw/manifests/\(tag)", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "-H", contentType, "--data-binary", manifest(digest)).stdout == "201")
        }
        let head = registry.curl("/v2/raw/manifests/a", "-I")
        #expect(head.stdout.contains("Content-Type: application/vnd.oci.image.manifest.v1+json"))
        let manifestDigest = header(head, "Docker-Content-Digest")
        #expect(manifestDigest.hasPrefix("sha256:"))

        // Tags page by page, with a Link to the next page.
        let page1 = registry.curl("/v2/raw/tags/list?n=2", "-i")
        #expect(page1.stdout.hasSuffix(#"{"name":"raw","tags":["a","b"]}"#), "\(page1.stdout)")
        #expect(page1.stdout.contains(#"Link: </v2/raw/tags/list?n=2&last=b>; rel="next""#))
        #expect(registry.curl("/v2/raw/tags/list?n=2&last=b").stdout == #"{"name":"raw","tags":["c"]}"#)
        #expect(registry.curl("/v2/_catalog").stdout == #"{"repositories":["raw"]}"#)

        // Referrers: a signature-like artifact whose subject is the image.
        let sig = manifest(digest, subject: manifestDigest, artifactType: "application/vnd.example.sig")
        let sigPut = registry.curl("/v2/raw/manifests/sha256:\(Fixtures.sha256Text(sig))", "-i", "-X", "PUT", "-H", contentType, "--data-binary", sig)
        #expect(sigPut.stdout.contains("OCI-Subject: \(manifestDigest)"), "\(sigPut.stdout)")
        let referrers = registry.curl("/v2/raw/referrers/\(manifestDigest)")
        #expect(referrers.stdout.contains(#""artifactType":"application/vnd.example.sig""#), "\(referrers.stdout)")
        #expect(!registry.curl("/v2/raw/referrers/\(manifestDigest)?artifactType=other%2Ftype").stdout.contains("sha256:\(Fixtures.sha256Text(sig))"))

        // A blob a manifest names cannot be deleted (no manifest left pointing at nothing).
        let inUse = registry.curl("/v2/raw/blobs/\(digest)", "-w", " %{http_code}", "-X", "DELETE")
        #expect(inUse.stdout.contains(#""code":"DENIED""#) && inUse.stdout.hasSuffix(" 409"), "\(inUse.stdout)")
        #expect(registry.curl("/v2/raw/blobs/\(digest)", "-o", "/dev/null", "-w", "%{http_code}", "-I").stdout == "200")

        // Deleting by digest removes its tags; unknown things answer in the spec's error shape.
        #expect(registry.curl("/v2/raw/manifests/\(manifestDigest)", "-o", "/dev/null", "-w", "%{http_code}", "-X", "DELETE").stdout == "202")
        #expect(registry.curl("/v2/raw/tags/list").stdout == #"{"name":"raw","tags":[]}"#)
        #expect(registry.curl("/v2/raw/manifests/a").stdout.contains(#""code":"MANIFEST_UNKNOWN""#))
        #expect(registry.curl("/v2/nope/manifests/a").stdout.contains(#""code":"NAME_UNKNOWN""#))
        #expect(registry.curl("/v2/Bad/manifests/a").stdout.contains(#""code":"NAME_INVALID""#))
        let big = "{\"schemaVersion\":2,\"x\":\"" + String(repeating: "a", count: 4 * 1024 * 1024) + "\"}"
        try big.write(toFile: "\(work)/big", atomically: true, encoding: .utf8)
        #expect(registry.curl("/v2/raw/manifests/big", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "-H", contentType, "--data-binary", "@\(work)/big").stdout == "413")

        // The HTML page escapes what it shows.
        let page = registry.curl("/")
        #expect(page.stdout.contains("<h2>raw</h2>") && !page.stdout.contains("<script"))
    }

    /// `berth registry serve`'s limit flags end to end: a silent connection and one dripping a
    /// header byte at a time are closed, a connection past `--max-connections` and an upload
    /// past `--max-uploads` get the spec's error JSON; bad durations are refused by name.
    @Test func limitFlagsCutOffSlowlorisClientsAndCapConnectionsAndUploads() throws {
        let ns = try NetNS()
        let registry = try BerthRegistryProcess(netns: ns, ["--idle-timeout", "1s", "--max-connections", "2", "--max-uploads", "1"])
        let client = #"""
        import socket, sys, time
        port = int(sys.argv[1])
        def connect():
            s = socket.create_connection(("127.0.0.1", port)); s.settimeout(30); return s
        def read_to_close(s):
            out = b""
            while True:
                try: chunk = s.recv(4096)
                except ConnectionResetError: return out
                if not chunk: return out
                out += chunk
        silent = connect()
        print("silent", repr(read_to_close(silent)))
        drip = connect(); sent = 0
        try:
            for byte in b"GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 100 + b"\r\n\r\n":
                drip.send(bytes([byte])); sent += 1; time.sleep(0.1)
        except OSError: pass
        print("drip-cut", sent < 100)
        held = [connect(), connect()]
        for s in held:
            s.send(b"GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n"); s.recv(4096)
        extra = connect(); extra.send(b"GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n")
        print("extra", read_to_close(extra).decode().split("\r\n")[0])
        """#
        let r = ns.run(["/usr/bin/python3", "-c", client, "\(registry.port)"])
        #expect(r.lines == ["silent b''", "drip-cut True", "extra HTTP/1.1 503 Service Unavailable"], "\(r.stdout)\(r.stderr)")

        func post() -> Run.Result {
            ns.run("/usr/bin/curl", ["-s", "-i", "-X", "POST", "http://\(registry.host)/v2/app/blobs/uploads/"])
        }
        #expect(post().stdout.hasPrefix("HTTP/1.1 202"))
        let refused = post().stdout
        #expect(refused.hasPrefix("HTTP/1.1 429") && refused.contains(#""errors":[{"#) && refused.contains(#""code":"TOOMANYREQUESTS""#), "\(refused)")

        for (value, message) in [("0s", "--idle-timeout must be longer than 0"), ("soon", "--idle-timeout soon")] {
            let bad = Run.run(Binaries.berth, ["registry", "serve", "--idle-timeout", value])
            #expect(bad.status != 0 && bad.stderr.contains(message), "\(bad.stderr)")
        }
    }

    @Test func authReadOnlyTLSGarbageCollectionAndAKilledUpload() throws {
        let ns = try NetNS()
        let work = try TempDir.make("auth")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let hash = Run.run("/usr/bin/htpasswd", ["-Bbn", "alice", "s3cret"])
        #expect(hash.status == 0, "\(hash.stderr)")
        try hash.stdout.write(toFile: "\(work)/htpasswd", atomically: true, encoding: .utf8)
        let registry = try BerthRegistryProcess(netns: ns, ["--htpasswd", "\(work)/htpasswd"])
        let anonymous = registry.curl("/v2/", "-i")
        #expect(anonymous.stdout.hasPrefix("HTTP/1.1 401") && anonymous.stdout.contains(#"WWW-Authenticate: Basic realm="berth-registry""#), "\(anonymous.stdout)")
        #expect(registry.curl("/v2/", "-o", "/dev/null", "-w", "%{http_code}", "-u", "alice:wrong").stdout == "401")
        #expect(registry.curl("/v2/", "-o", "/dev/null", "-w", "%{http_code}", "-u", "alice:s3cret").stdout == "200")

        let d = try Daemon(netns: ns)
        #expect(d.berth("import", Fixtures.busyboxTar, "bb").status == 0)
        let one = "\(registry.host)/auth/one:1"
        #expect(d.berth("tag", "bb", one).status == 0)
        #expect(d.berth("push", one).status != 0, "pushing without credentials is refused")
        let config = "\(d.dir)/docker-config"
        try "wrong\n".write(toFile: "\(work)/wrong", atomically: true, encoding: .utf8)
        try "s3cret\n".write(toFile: "\(work)/right", atomically: true, encoding: .utf8)
        let wrongLogin = Run.run(Binaries.berth, ["login", "-u", "alice", "--password-stdin", registry.host], env: ["BERTH_HOST": d.host, "DOCKER_CONFIG": config], stdinFile: "\(work)/wrong")
        #expect(wrongLogin.status != 0)
        let login = Run.run(Binaries.berth, ["login", "-u", "alice", "--password-stdin", registry.host], env: ["BERTH_HOST": d.host, "DOCKER_CONFIG": config], stdinFile: "\(work)/right")
        #expect(login.stdout.contains("Login Succeeded"), "\(login.stdout) \(login.stderr)")
        let push = Run.run(Binaries.berth, ["push", one], env: ["BERTH_HOST": d.host, "DOCKER_CONFIG": config])
        #expect(push.status == 0, "\(push.stderr)")
        #expect(registry.log.contains(" alice \"PUT /v2/auth/one/manifests/1\" 201"), "\(registry.log)")

        // A second image sharing nothing but the config's base; then the first is deleted and collected.
        let run = d.berth("run", "--name", "c1", "--network", "none", one, "sh", "-c", "echo 2 > /two")
        #expect(run.status == 0, "\(run.stderr)")
        let two = "\(registry.host)/auth/two:1"
        #expect(d.berth("commit", "c1", two).status == 0)
        #expect(Run.run(Binaries.berth, ["push", two], env: ["BERTH_HOST": d.host, "DOCKER_CONFIG": config]).status == 0)
        let oneDigest = header(registry.curl("/v2/auth/one/manifests/1", "-I", "-u", "alice:s3cret"), "Docker-Content-Digest")
        #expect(registry.curl("/v2/auth/one/manifests/\(oneDigest)", "-o", "/dev/null", "-w", "%{http_code}", "-X", "DELETE", "-u", "alice:s3cret").stdout == "202")
        let busy = registry.berth("registry", "gc", "--root", registry.root)
        #expect(busy.status != 0 && busy.stderr.contains("in use"), "gc refuses a root a server holds: \(busy.stderr)")
        registry.stop()
        let blobsBefore = Set((try? FileManager.default.contentsOfDirectory(atPath: "\(registry.root)/blobs/sha256")) ?? [])
        let gc = registry.berth("registry", "gc", "--root", registry.root)
        #expect(gc.status == 0, "\(gc.stderr)")
        let blobsAfter = Set((try? FileManager.default.contentsOfDirectory(atPath: "\(registry.root)/blobs/sha256")) ?? [])
        let removed = blobsBefore.subtracting(blobsAfter)
        // The deleted manifest and the config of image one go; the busybox layer both share stays.
        #expect(removed.contains(String(oneDigest.dropFirst(7))) && removed.count == 2, "\(gc.stdout)")
        let baseLayer = d.berth("inspect", "-f", "{{range .RootFS.Layers}}{{.}}{{end}}", one).stdout.trimmingCharacters(in: .newlines)
        #expect(blobsAfter.contains(String(baseLayer.dropFirst(7))))

        // Read-only: pulls work, pushes get 405.
        let readOnly = try BerthRegistryProcess(netns: ns, ["--read-only"])
        let refused = readOnly.curl("/v2/x/blobs/uploads/", "-w", " %{http_code}", "-X", "POST")
        #expect(refused.stdout.contains("UNSUPPORTED") && refused.stdout.hasSuffix(" 405"), "\(refused.stdout)")
        #expect(readOnly.curl("/v2/", "-o", "/dev/null", "-w", "%{http_code}").stdout == "200")

        // A killed upload leaves no blob: half a blob is sent, the server is SIGKILLed and restarted.
        let blob = Data(repeating: 7, count: 1 << 20)
        try blob.write(to: URL(fileURLWithPath: "\(work)/blob"))
        try blob.prefix(1 << 19).write(to: URL(fileURLWithPath: "\(work)/half"))
        let plain = try BerthRegistryProcess(netns: ns)
        let session = plain.curl("/v2/k/blobs/uploads/", "-i", "-X", "POST")
        let location = header(session, "Location")
        #expect(plain.curl(location, "-o", "/dev/null", "-w", "%{http_code}", "-X", "PATCH", "--data-binary", "@\(work)/half").stdout == "202")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: "\(plain.root)/ingest")) ?? []).count == 1)
        plain.kill9()
        try plain.start()
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: "\(plain.root)/ingest")) ?? []).isEmpty)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: "\(plain.root)/blobs/sha256")) ?? []).isEmpty)
        let digest = "sha256:" + Fixtures.sha256(file: "\(work)/blob")
        #expect(plain.curl(location + "?digest=\(digest)", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "--data-binary", "@\(work)/half").stdout == "404",
                "the session died with the server")
        #expect(plain.curl("/v2/k/blobs/\(digest)", "-o", "/dev/null", "-w", "%{http_code}", "-I").stdout == "404")

        // TLS with a self-signed certificate.
        let certs = Run.run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                                                 "-keyout", "\(work)/key.pem", "-out", "\(work)/cert.pem"])
        #expect(certs.status == 0, "\(certs.stderr)")
        let tls = try BerthRegistryProcess(netns: ns, ["--tls-cert", "\(work)/cert.pem", "--tls-key", "\(work)/key.pem"])
        let https = ns.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", "\(work)/cert.pem", "https://\(tls.host)/v2/"])
        #expect(https.stdout == "200", "\(https.stderr)")
    }

    @Test func searchListsMatchingRepositoriesFromARegistrysCatalog() throws {
        let ns = try NetNS()
        let ours = try BerthRegistryProcess(netns: ns)
        let debian = try DebianRegistry(netns: ns)
        let d = try Daemon(netns: ns)
        #expect(d.berth("import", Fixtures.busyboxTar, "bb").status == 0)
        for host in [ours.host, debian.host] {
            for name in ["lab/busybox", "lab/tools", "other/busybox-static"] {
                #expect(d.berth("tag", "bb", "\(host)/\(name):1").status == 0)
                let push = d.berth("push", "\(host)/\(name):1")
                #expect(push.status == 0, "\(push.stderr)")
            }
            let search = d.berth("search", "\(host)/busy")
            #expect(search.status == 0, "\(search.stderr)")
            #expect(search.lines.first?.split(separator: " ", omittingEmptySubsequences: true) == ["NAME", "DESCRIPTION", "STARS", "OFFICIAL", "AUTOMATED"], "\(search.stdout)")
            #expect(search.lines.dropFirst().map { $0.split(separator: " ").first.map(String.init) ?? "" } == ["\(host)/lab/busybox", "\(host)/other/busybox-static"])
            #expect(d.berth("search", "--limit", "1", "--format", "{{.Name}}", "\(host)/busy").stdout == "\(host)/lab/busybox\n")
            #expect(d.berth("search", "--filter", "is-official=true", "--format", "{{.Name}}", "\(host)/busy").stdout == "")
            // The docker CLI gets the same from berthd's /images/search.
            let docker = d.docker("search", "--format", "{{.Name}}", "\(host)/tools")
            #expect(docker.stdout == "\(host)/lab/tools\n", "\(docker.stderr)")
        }
        let hub = d.berth("search", "busybox")
        #expect(hub.status != 0 && hub.stderr.contains("HOST:PORT/TERM"), "\(hub.stderr)")
    }
}
