import Foundation
import Glibc
import Testing

/// A real project's Dockerfile (the shape of the official WordPress image's: apt-get in RUN,
/// site files copied in, an entrypoint script, a server in the foreground) built on a Debian
/// base made by debootstrap, with RUN reaching the Debian mirror through berth's NAT: RUN
/// container → berth0 → MASQUERADE in the test's namespace → an uplink veth → a forwarding
/// proxy in the machine's namespace → deb.debian.org. Needs the mirror: skipped, saying so, when
/// this machine cannot reach it (and only then); the debootstrap base is made once per machine
/// (DebianBase).
@Suite(.serialized) struct RealProjectBuildTests {
    static let page = "<!doctype html>\n<title>berth</title>\n<h1>Served by lighttpd, built with apt-get through berth's NAT</h1>\n"

    static let dockerfile = """
    FROM debian:bookworm-minbase

    ENV SITE_ROOT=/var/www/html \\
        DEBIAN_FRONTEND=noninteractive

    RUN apt-get update \\
        && apt-get install -y --no-install-recommends lighttpd \\
        && rm -rf /var/lib/apt/lists/*

    COPY docker-entrypoint.sh /usr/local/bin/
    COPY site/ ${SITE_ROOT}/
    WORKDIR ${SITE_ROOT}

    EXPOSE 80
    VOLUME ${SITE_ROOT}/uploads

    ENTRYPOINT ["docker-entrypoint.sh"]
    CMD ["lighttpd", "-D", "-f", "/etc/lighttpd/lighttpd.conf"]

    """

    static let entrypoint = """
    #!/bin/sh
    set -e
    # As the WordPress image's entrypoint: prepare the site, then exec the server (CMD) as PID 1.
    if [ "$1" = lighttpd ]; then
        chown www-data:www-data "$SITE_ROOT/uploads"
        lighttpd -tt -f /etc/lighttpd/lighttpd.conf
    fi
    exec "$@"

    """

    @Test func aptGetInRunReachesTheMirrorThroughBerthsNATAndTheImageServesItsSite() async throws {
        try await Self.skipIfMirrorUnreachable()
        let base: String
        do { base = try await offPool { try DebianBase.tar() } } catch {
            try await Self.skipIfMirrorUnreachable()  // it went away while debootstrap ran
            throw error
        }
        let d = try await offPool { try Daemon() }
        let uplink = try await offPool { try Uplink(d.netns) }
        let proxy = try await offPool { try ForwardingProxy(address: uplink.hostAddress) }
        let ctx = try BuildTests.context([
            "Dockerfile": Self.dockerfile, "docker-entrypoint.sh": Self.entrypoint,
            "site/index.html": Self.page, "site/uploads/.keep": "", ".dockerignore": "*.swp\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: ctx) }
        chmod("\(ctx)/docker-entrypoint.sh", 0o755)  // as checked in: COPY keeps the mode

        let imp = await d.berth("import", "-c", "CMD [\"bash\"]", base, "debian:bookworm-minbase")
        try #require(imp.status == 0, "\(imp.stderr)")
        let build = await d.berth("build", "-t", "site:1", "--build-arg", "http_proxy=\(proxy.url)", ctx)
        let requests = proxy.requests
        let unreachable = requests.filter { $0.status.contains("upstream-unreachable") }
        if build.status != 0, !unreachable.isEmpty { try await Self.skipIfMirrorUnreachable() }
        try #require(build.status == 0, """
            \(unreachable.isEmpty ? "" : "the proxy could not reach the mirror for: \(unreachable)\n")\
            \(build.stdout)\(build.stderr)
            """)
        #expect(BuildTests.count("Running in", in: build.stdout) == 1, "one RUN step: \(build.stdout)")
        #expect(build.stdout.contains("Setting up lighttpd"), "apt-get installed lighttpd: \(build.stdout)")

        // apt-get's requests reached the proxy from the namespace's uplink address: NATed by
        // berth's MASQUERADE, not from the RUN container's bridge address.
        #expect(requests.contains { $0.url.hasPrefix("\(DebianBase.mirror)/dists/bookworm/") && $0.status == "200" }, "\(requests)")
        #expect(requests.contains { $0.url.contains("/pool/main/l/lighttpd/lighttpd_") && $0.status == "200" }, "\(requests)")
        #expect(!requests.isEmpty && requests.allSatisfy { $0.client == uplink.namespaceAddress }, "from \(uplink.namespaceAddress): \(requests)")

        // The layers and the config: one layer per filesystem step on top of the base, the proxy
        // arg in neither the history nor the config (Docker's predefined args).
        let history = await d.berth("image", "history", "--no-trunc", "--format", "{{.CreatedBy}}|{{.Size}}", "site:1")
        #expect(history.status == 0, "\(history.stderr)")
        let steps = history.lines
        #expect(steps.count == 10, "the base's entry and one per instruction after FROM: \(steps)")
        #expect(steps.contains { $0.hasPrefix("/bin/sh -c apt-get update") && !$0.hasSuffix("|0B") }, "\(steps)")
        #expect(!history.stdout.contains("proxy"), "\(steps)")
        #expect(history.stdout.contains("#(nop) COPY file:") && history.stdout.contains("#(nop) COPY dir:"), "\(steps)")
        let layers = await d.berth("inspect", "-f", "{{len .RootFS.Layers}}", "site:1")
        #expect(layers.stdout == "4\n", "the base, RUN and the two COPYs (WORKDIR's directory exists): \(layers.stdout)")
        let config = await d.berth("inspect", "-f", "{{json .Config.Env}} {{json .Config.ExposedPorts}} {{json .Config.Volumes}} {{json .Config.Entrypoint}} {{.Config.WorkingDir}}", "site:1")
        #expect(config.stdout.contains("\"SITE_ROOT=/var/www/html\""), "\(config.stdout)")
        #expect(config.stdout.contains("{\"80/tcp\":{}} {\"/var/www/html/uploads\":{}} [\"docker-entrypoint.sh\"] /var/www/html\n"), "\(config.stdout)")
        #expect(!config.stdout.contains("proxy"), "\(config.stdout)")

        // The image runs: lighttpd serves the copied page on the published port.
        let run = await d.berth("run", "-d", "--name", "web", "-p", "8080:80", "site:1")
        #expect(run.status == 0, "\(run.stderr)")
        var served = Run.Result(status: -1, stdout: "", stderr: "")
        for _ in 0..<100 {
            served = await offPool { d.inNetns("curl", "-s", "-i", "--max-time", "5", "http://127.0.0.1:8080/index.html") }
            if served.status == 0 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        let logs = served.status == 0 ? "" : await d.berth("logs", "web").stderr
        #expect(served.stdout.hasPrefix("HTTP/1.1 200 OK"), "\(served.stdout) \(served.stderr) \(logs)")
        #expect(served.stdout.lowercased().contains("server: lighttpd"), "\(served.stdout)")
        #expect(served.stdout.hasSuffix("\r\n\r\n" + Self.page), "\(served.stdout)")

        // A rebuild is all cache — with the proxy arg or without it (not part of the cache key):
        // no RUN, no request to the mirror, the same image.
        let id = await d.berth("inspect", "-f", "{{.Id}}", "site:1").stdout
        let before = proxy.requests.count
        for extra in [["--build-arg", "http_proxy=\(proxy.url)"], []] {
            let again = await offPool { Run.run(Binaries.berth, ["build", "-t", "site:1"] + extra + [ctx], env: ["BERTH_HOST": d.host]) }
            #expect(again.status == 0, "\(again.stderr)")
            #expect(BuildTests.count("Running in", in: again.stdout) == 0, "\(again.stdout)")
            #expect(BuildTests.count("Using cache", in: again.stdout) == 9, "\(again.stdout)")
            #expect(await d.berth("inspect", "-f", "{{.Id}}", "site:1").stdout == id)
        }
        #expect(proxy.requests.count == before, "\(proxy.requests.dropFirst(before))")
        await d.berth("rm", "-f", "web")
        withExtendedLifetime(uplink) {}
    }

    /// Skips the test — printing why — when this machine cannot reach the Debian mirror: then no
    /// outcome of the build says anything about berth. Any other failure fails the test.
    static func skipIfMirrorUnreachable() async throws {
        guard let reason = await offPool({ DebianBase.unreachable(suite: "bookworm") }) else { return }
        print("RealProjectBuildTests skipped: \(reason); the test runs debootstrap and apt-get against it")
        try Test.cancel("\(reason)")
    }
}
