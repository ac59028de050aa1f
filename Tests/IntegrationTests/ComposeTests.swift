import Foundation
import Testing

/// `berth compose up -d`/`ps`/`down` against a private berthd in the test's network namespace:
/// a project network where services find each other by name, a named volume and a bind mount,
/// compose's labels, and nothing of the project left after `down -v`.
@Suite(.serialized) struct ComposeTests {
    @Test func upConnectsServicesByNameAndDownRemovesEverything() throws {
        let d = try Fixtures.daemonWithBusybox()
        defer { d.removeAllContainers() }
        let before = NetworkTests.networkState(d)
        let dir = "/tmp/berth-compose-it-\(getpid())/shop"
        defer { try? FileManager.default.removeItem(atPath: (dir as NSString).deletingLastPathComponent) }
        try FileManager.default.createDirectory(atPath: dir + "/site", withIntermediateDirectories: true)
        try "hello from web\n".write(toFile: dir + "/site/index.html", atomically: true, encoding: .utf8)
        try """
        services:
          client:
            image: bb
            command: sleep 300
            depends_on: [web]
            stop_grace_period: 1s
          web:
            image: bb
            command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
            stop_grace_period: 1s
            environment:
              GREETING: ${GREETING:-hi}
            volumes:
              - ./site:/www:ro
              - data:/data
        volumes:
          data: {}
        """.write(toFile: dir + "/compose.yaml", atomically: true, encoding: .utf8)
        let file = dir + "/compose.yaml"

        let up = d.berth("compose", "-f", file, "up", "-d")
        #expect(up.status == 0, "\(up.stderr)")
        #expect(up.stderr.contains(" Network shop_default  Created"), "\(up.stderr)")
        #expect(up.stderr.contains(" Volume \"shop_data\"  Created"), "\(up.stderr)")
        let web = up.stderr.range(of: " Container shop-web-1  Started"), client = up.stderr.range(of: " Container shop-client-1  Started")
        #expect(web != nil && client != nil && web!.lowerBound < client!.lowerBound, "web (a dependency) starts first: \(up.stderr)")

        // The client reaches web by its service name and by its container name on the project network.
        let byService = d.berth("exec", "shop-client-1", "wget", "-q", "-O", "-", "http://web:8080/index.html")
        #expect(byService.stdout == "hello from web\n", "\(byService.stderr)")
        let byName = d.berth("exec", "shop-client-1", "wget", "-q", "-O", "-", "http://shop-web-1:8080/index.html")
        #expect(byName.stdout == "hello from web\n", "\(byName.stderr)")
        #expect(d.berth("exec", "shop-web-1", "sh", "-c", "echo $GREETING; touch /data/kept").stdout == "hi\n")
        let labels = d.berth("inspect", "-f", "{{index .Config.Labels \"com.docker.compose.project\"}} {{index .Config.Labels \"com.docker.compose.service\"}} "
                             + "{{index .Config.Labels \"com.docker.compose.container-number\"}} {{index .Config.Labels \"com.docker.compose.oneoff\"}} {{.HostConfig.NetworkMode}}",
                             "shop-web-1")
        #expect(labels.stdout == "shop web 1 False shop_default\n", "\(labels.stdout)\(labels.stderr)")

        let ps = d.berth("compose", "-f", file, "ps", "--format", "{{.Name}} {{.Service}} {{.State}}")
        #expect(ps.stdout == "shop-client-1 client running\nshop-web-1 web running\n", "\(ps.stdout)\(ps.stderr)")
        // The docker CLI finds the project's containers by compose's labels, as docker compose does.
        let docker = d.docker("ps", "--filter", "label=com.docker.compose.project=shop", "--format", "{{.Names}} {{.Label \"com.docker.compose.service\"}}")
        #expect(docker.stdout.split(separator: "\n").sorted() == ["shop-client-1 client", "shop-web-1 web"], "\(docker.stdout)\(docker.stderr)")
        let table = d.berth("compose", "-f", file, "ps")
        #expect(table.stdout.hasPrefix("NAME ") && table.stdout.contains("SERVICE") && table.stdout.contains("shop-web-1"), "\(table.stdout)")

        // Up again: nothing changed, nothing recreated; a changed service is recreated.
        let ids = d.berth("ps", "-q", "--no-trunc").stdout
        let again = d.berth("compose", "-f", file, "up", "-d")
        #expect(again.status == 0 && again.stderr.contains(" Container shop-web-1  Running"), "\(again.stderr)")
        #expect(d.berth("ps", "-q", "--no-trunc").stdout == ids)
        let changed = Run.run(Binaries.berth, ["compose", "-f", file, "up", "-d"], env: ["BERTH_HOST": d.host, "GREETING": "changed"])
        #expect(changed.status == 0 && changed.stderr.contains(" Container shop-web-1  Recreate"), "\(changed.stderr)")
        #expect(d.berth("exec", "shop-web-1", "sh", "-c", "echo $GREETING; ls /data").stdout == "changed\nkept\n", "the named volume outlives the container")

        // A container of the project whose service is not in the file (renamed since) is an orphan:
        // `down` leaves it unless --remove-orphans.
        let orphan = d.berth("run", "-d", "--name", "shop-old-1", "--label", "com.docker.compose.project=shop", "--label", "com.docker.compose.service=old", "bb", "sleep", "300")
        #expect(orphan.status == 0, "\(orphan.stderr)")
        let down = d.berth("compose", "-f", file, "down", "-t", "0")
        #expect(down.status == 0, "\(down.stderr)")
        #expect(down.stderr.contains("Found orphan containers (shop-old-1)"), "\(down.stderr)")
        #expect(d.berth("ps", "-a", "--format", "{{.Names}}").stdout == "shop-old-1\n")
        let orphans = d.berth("compose", "-f", file, "down", "-t", "0", "--remove-orphans")
        #expect(orphans.status == 0 && orphans.stderr.contains(" Container shop-old-1  Removed"), "\(orphans.stderr)")
        let clientRemoved = down.stderr.range(of: " Container shop-client-1  Removed"), webRemoved = down.stderr.range(of: " Container shop-web-1  Removed")
        #expect(clientRemoved != nil && webRemoved != nil && clientRemoved!.lowerBound < webRemoved!.lowerBound, "dependents go first: \(down.stderr)")
        #expect(down.stderr.contains(" Network shop_default  Removed"), "\(down.stderr)")
        #expect(d.berth("ps", "-aq").stdout == "")
        #expect(!d.berth("network", "ls", "--format", "{{.Name}}").stdout.contains("shop_default"))
        #expect(d.berth("volume", "ls", "-q").stdout.contains("shop_data"), "down keeps volumes without -v")
        let badName = d.berth("compose", "-p", "Shop!", "down")
        #expect(badName.status != 0 && badName.stderr.contains("invalid project name \"Shop!\""), "\(badName.stderr)")
        #expect(d.berth("compose", "-p", "shop", "down", "-v").status == 0, "-p alone names the project")
        #expect(!d.berth("volume", "ls", "-q").stdout.contains("shop_data"))
        #expect(NetworkTests.networkState(d) == before, "no bridge, veth or rule of the project network is left")
    }

    @Test func upRefusesWhatItCannotDoByName() throws {
        let d = try Fixtures.daemonWithBusybox()
        defer { d.removeAllContainers() }
        let dir = "/tmp/berth-compose-it-\(getpid())-refuse"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "services:\n  a:\n    build: .\n  b:\n    image: bb\n    depends_on: [c]\n  c:\n    image: bb\n    depends_on: [b]\n"
            .write(toFile: dir + "/compose.yaml", atomically: true, encoding: .utf8)
        let cycle = d.berth("compose", "-f", dir + "/compose.yaml", "up", "-d", "b")
        #expect(cycle.status != 0 && cycle.stderr.contains("dependency cycle detected: b -> c -> b"), "\(cycle.stderr)")
        // A service that builds is refused before anything is created, even when its image names
        // one a registry might have (it is never pulled).
        try "services:\n  z:\n    image: bb\n  a:\n    build: .\n    image: berth-test/never-pulled:1\n".write(toFile: dir + "/compose.yaml", atomically: true, encoding: .utf8)
        let build = d.berth("compose", "-f", dir + "/compose.yaml", "-p", "refuse", "up", "-d")
        #expect(build.status != 0 && build.stderr.contains("run `berth build -t berth-test/never-pulled:1 \(dir)` first"), "\(build.stderr)")
        #expect(!build.stderr.contains("Pulling"), "\(build.stderr)")
        #expect(!d.berth("network", "ls").stdout.contains("refuse_default"), "no network was created")
        let attached = d.berth("compose", "-f", dir + "/compose.yaml", "up")
        #expect(attached.status != 0 && attached.stderr.contains("use `berth compose up -d`"), "\(attached.stderr)")
        #expect(d.berth("ps", "-aq").stdout == "")
    }

    /// `berth compose config` (no daemon needed): docker compose's output and warnings, and errors
    /// that name the file and line.
    @Test func configPrintsTheProjectAndErrorsNameFileAndLine() throws {
        let dir = "/tmp/berth-compose-it-\(getpid())-config/cfg"
        defer { try? FileManager.default.removeItem(atPath: (dir as NSString).deletingLastPathComponent) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let file = dir + "/compose.yaml"
        try "version: \"3\"\nservices:\n  web:\n    image: \"bb:${TAG}\"\n    ports: [\"8080:80\"]\n".write(toFile: file, atomically: true, encoding: .utf8)
        let config = Run.run(Binaries.berth, ["compose", "-f", file, "config"], env: ["BERTH_HOST": "unix:///nonexistent"])
        #expect(config.status == 0, "\(config.stderr)")
        #expect(config.stdout == """
        name: cfg
        services:
          web:
            image: "bb:"
            networks:
              default: null
            ports:
              - mode: ingress
                target: 80
                published: "8080"
                protocol: tcp
        networks:
          default:
            name: cfg_default

        """, "\(config.stdout)")
        #expect(config.stderr.contains("WARN: The \"TAG\" variable is not set. Defaulting to a blank string."), "\(config.stderr)")
        #expect(config.stderr.contains("the attribute `version` is obsolete"), "\(config.stderr)")
        let names = Run.run(Binaries.berth, ["compose", "--project-name", "other", "config", "-f", file, "--services"])
        #expect(names.stdout == "web\n", "\(names.stderr)")

        try "services:\n  web:\n    image: bb\n\n    ports:\n      - \"8080:80\"\n      - \"80:http\"\n".write(toFile: file, atomically: true, encoding: .utf8)
        let bad = Run.run(Binaries.berth, ["compose", "-f", file, "config"])
        #expect(bad.status == 1 && bad.stdout.isEmpty)
        #expect(bad.stderr == "validating \(file):7: services.web.ports.1 is not a valid port: invalid containerPort: http\n", "\(bad.stderr)")
        let logs = Run.run(Binaries.berth, ["compose", "-f", file, "logs"])
        #expect(logs.status != 0 && logs.stderr.contains("berth compose logs is not implemented yet"), "\(logs.stderr)")
    }

    /// depends_on conditions: a dependency's healthcheck passing, a one-shot job exiting 0 — and
    /// one exiting 1 stops `up` before its dependents are created.
    @Test func upWaitsForHealthyAndCompletedDependencies() throws {
        let d = try Fixtures.daemonWithBusybox()
        defer { d.removeAllContainers() }
        let dir = "/tmp/berth-compose-it-\(getpid())-deps/deps"
        defer { try? FileManager.default.removeItem(atPath: (dir as NSString).deletingLastPathComponent) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let file = dir + "/compose.yaml"
        func write(migrateExit: Int) throws {
            try """
            services:
              db:
                image: bb
                command: sh -c "sleep 1; touch /tmp/ready; exec sleep 300"
                init: true
                healthcheck: {test: ["CMD", "test", "-e", "/tmp/ready"], interval: 1s, retries: 30}
              migrate:
                image: bb
                command: sh -c "exit \(migrateExit)"
              app:
                image: bb
                command: sleep 300
                init: true
                depends_on:
                  db: {condition: service_healthy}
                  migrate: {condition: service_completed_successfully}
            """.write(toFile: file, atomically: true, encoding: .utf8)
        }
        try write(migrateExit: 1)
        let failed = d.berth("compose", "-f", file, "up", "-d")
        #expect(failed.status != 0 && failed.stderr.contains("service \"migrate\" didn't complete successfully: exit 1"), "\(failed.stderr)")
        #expect(!d.berth("ps", "-a", "--format", "{{.Names}}").stdout.contains("deps-app-1"), "the dependent is not created")

        try write(migrateExit: 0)
        let up = d.berth("compose", "-f", file, "up", "-d")
        #expect(up.status == 0, "\(up.stderr)")
        let healthy = up.stderr.range(of: " Container deps-db-1  Healthy"), started = up.stderr.range(of: " Container deps-app-1  Started")
        #expect(healthy != nil && started != nil && healthy!.lowerBound < started!.lowerBound, "\(up.stderr)")
        #expect(d.berth("inspect", "-f", "{{.State.Health.Status}}", "deps-db-1").stdout == "healthy\n")
        #expect(d.berth("compose", "-f", file, "down").status == 0)
        #expect(d.berth("ps", "-aq").stdout == "")
    }
}
