import Foundation
import Testing
@testable import BerthCompose

/// What `up` asks the engine for: the order, and the create requests with compose's labels.
@Suite struct PlanTests {
    static let yaml = """
    services:
      web:
        image: nginx
        depends_on: [api]
        ports: ["127.0.0.1:8080:80", "9000-9001:9000-9001/UDP"]
        expose: ["3000"]
        environment: {A: "1", UNSET: null}
        volumes: ["./site:/www:ro", "data:/data", {type: tmpfs, target: /tmp, tmpfs: {size: 1m}}]
        networks:
          front: {aliases: [www], ipv4_address: 10.5.0.9}
          default:
        restart: on-failure:3
        extra_hosts: ["db.local=10.0.0.2"]
        stop_grace_period: 1500ms
        healthcheck: {test: "wget -q localhost", interval: 5s, retries: 2}
      api:
        image: api
        depends_on:
          db: {condition: service_healthy}
      db:
        image: postgres
        container_name: the-db
    volumes:
      data:
    networks:
      front:
        ipam: {config: [{subnet: 10.5.0.0/24}]}
    """

    func project(environment: [String: String] = [:]) throws -> ComposeProject {
        try ProjectDir(["compose.yaml": Self.yaml], name: "shop").load(environment: environment)
    }

    @Test func dependenciesStartFirstAndCyclesAreNamed() throws {
        #expect(try project().startOrder() == ["db", "api", "web"])
        let cyclic = try ProjectDir(["compose.yaml": "services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [c]}\n  c: {image: x, depends_on: [a]}\n"]).load()
        #expect(throws: ComposeError.invalidProject("dependency cycle detected: a -> b -> c -> a")) { try cyclic.startOrder() }
    }

    /// A 50,000-service depends_on chain is ordered without recursion; a cycle at its end is named.
    @Test func aLongDependencyChainIsOrdered() throws {
        let n = 50_000
        func name(_ i: Int) -> String { "s\(i)" }
        var services: [String: Service] = [:]
        for i in 0..<n {
            var s = Service(name: name(i))
            s.image = "x"
            if i > 0 { s.dependsOn = [name(i - 1): Service.Dependency()] }
            services[s.name] = s
        }
        var p = ComposeProject(name: "long", workingDir: "/", files: [], services: services, networks: [:], volumes: [:], warnings: [])
        #expect(try p.startOrder() == (0..<n).map(name))
        p.services[name(0)]?.dependsOn = [name(n - 1): Service.Dependency()]
        #expect(throws: ComposeError.self) { try p.startOrder() }
        p.services[name(0)]?.dependsOn = [name(2): Service.Dependency()]
        #expect(throws: ComposeError.invalidProject("dependency cycle detected: s0 -> s2 -> s1 -> s0")) { try p.startOrder() }
    }

    /// SELinux relabelling (z/Z) only exists in Binds: such binds go there, with their propagation.
    @Test func selinuxBindsGoThroughBinds() throws {
        let p = try ProjectDir(["compose.yaml": """
        services:
          web:
            image: x
            volumes:
              - {type: bind, source: /srv/a, target: /a, read_only: true, bind: {selinux: z, propagation: rshared, create_host_path: false}}
              - {type: bind, source: /srv/b, target: /b, bind: {propagation: rslave}}
              - "/srv/c:/c:Z"
        """]).load()
        let host = try #require(try p.containerCreateBody("web")["HostConfig"] as? [String: Any])
        #expect(host["Binds"] as? [String] == ["/srv/a:/a:ro,z,rshared", "/srv/c:/c:rw,Z"])
        let mounts = host["Mounts"] as? [[String: Any]] ?? []
        #expect(mounts.map { $0["Source"] as? String } == ["/srv/b"])
        // nocopy belongs to volumes: on a bind it is refused, not dropped.
        let short = try #require(loadError("services:\n  web:\n    image: x\n    volumes: [\"/srv:/srv:nocopy\"]\n"))
        #expect(short.contains("services.web.volumes.0 is not a valid volume: nocopy applies to named volumes, not to the bind mount of \"/srv\""), "\(short)")
        let long = try #require(loadError("services:\n  web:\n    image: x\n    volumes: [{type: bind, source: /srv, target: /srv, volume: {nocopy: true}}]\n"))
        #expect(long.contains("services.web.volumes.0.volume options are incompatible with type bind"), "\(long)")
    }

    @Test func containerRequestCarriesTheServiceAndComposeLabels() throws {
        let p = try project()
        let body = try p.containerCreateBody("web")
        #expect(p.containerName("web") == "shop-web-1")
        #expect(p.containerName("db") == "the-db")
        #expect(body["Image"] as? String == "nginx")
        #expect(body["Env"] as? [String] == ["A=1"], "an unset variable is left out")
        #expect(body["StopTimeout"] as? Int == 2, "rounded up to whole seconds")
        let check = try #require(body["Healthcheck"] as? [String: Any])
        #expect(check["Test"] as? [String] == ["CMD-SHELL", "wget -q localhost"])
        #expect(check["Interval"] as? Int64 == 5_000_000_000)
        #expect(Set((body["ExposedPorts"] as? [String: Any] ?? [:]).keys) == ["80/tcp", "9000/udp", "9001/udp", "3000/tcp"])
        let host = try #require(body["HostConfig"] as? [String: Any])
        let bindings = try #require(host["PortBindings"] as? [String: [[String: String]]])
        #expect(bindings["80/tcp"] == [["HostIp": "127.0.0.1", "HostPort": "8080"]])
        #expect(bindings["9001/udp"] == [["HostIp": "", "HostPort": "9001"]])
        #expect(host["Binds"] as? [String] == [p.workingDir + "/site:/www:ro"])
        let mounts = try #require(host["Mounts"] as? [[String: Any]])
        #expect(mounts.count == 2)
        #expect(mounts[0]["Type"] as? String == "volume" && mounts[0]["Source"] as? String == "shop_data" && mounts[0]["Target"] as? String == "/data")
        #expect(mounts[1]["Type"] as? String == "tmpfs" && (mounts[1]["TmpfsOptions"] as? [String: Any])?["SizeBytes"] as? Int64 == 1 << 20)
        #expect(host["NetworkMode"] as? String == "shop_default")
        #expect((host["RestartPolicy"] as? [String: Any])?["Name"] as? String == "on-failure")
        #expect((host["RestartPolicy"] as? [String: Any])?["MaximumRetryCount"] as? Int == 3)
        #expect(host["ExtraHosts"] as? [String] == ["db.local:10.0.0.2"])
        let endpoints = try #require((body["NetworkingConfig"] as? [String: Any])?["EndpointsConfig"] as? [String: [String: Any]])
        #expect(endpoints.keys.sorted() == ["shop_default", "shop_front"])
        #expect(endpoints["shop_default"]?["Aliases"] as? [String] == ["shop-web-1", "web"])
        #expect(endpoints["shop_front"]?["Aliases"] as? [String] == ["shop-web-1", "web", "www"])
        #expect((endpoints["shop_front"]?["IPAMConfig"] as? [String: String]) == ["IPv4Address": "10.5.0.9"])
        let labels = try #require(body["Labels"] as? [String: String])
        #expect(labels["com.docker.compose.project"] == "shop")
        #expect(labels["com.docker.compose.service"] == "web")
        #expect(labels["com.docker.compose.container-number"] == "1")
        #expect(labels["com.docker.compose.oneoff"] == "False")
        #expect(labels["com.docker.compose.project.working_dir"] == p.workingDir)
        #expect(labels["com.docker.compose.project.config_files"] == p.workingDir + "/compose.yaml")
        #expect(labels["com.docker.compose.depends_on"] == "api:service_started:false")
    }

    @Test func configHashFollowsTheService() throws {
        let hash = { (p: ComposeProject, s: String) in (try p.containerCreateBody(s)["Labels"] as? [String: String])?["com.docker.compose.config-hash"] }
        let dir = try ProjectDir(["compose.yaml": Self.yaml], name: "shop")
        let a = try dir.load(), b = try dir.load()
        #expect(try hash(a, "web") != nil)
        #expect(try hash(a, "web") == hash(b, "web"), "the same file gives the same hash")
        var changed = a
        changed.services["web"]?.environment?["A"] = "2"
        #expect(try hash(changed, "web") != hash(a, "web"))
        #expect(try hash(a, "api") != hash(a, "web"))
    }

    @Test func networkAndVolumeRequests() throws {
        let p = try project()
        #expect(p.usedNetworks == ["default", "front"])
        #expect(p.usedVolumes == ["data"])
        let front = p.networkCreateBody("front")
        #expect(front["Name"] as? String == "shop_front")
        #expect(front["Labels"] as? [String: String] == ["com.docker.compose.project": "shop", "com.docker.compose.network": "front"])
        #expect(((front["IPAM"] as? [String: Any])?["Config"] as? [[String: String]]) == [["Subnet": "10.5.0.0/24"]])
        let data = p.volumeCreateBody("data")
        #expect(data["Name"] as? String == "shop_data")
        #expect(data["Labels"] as? [String: String] == ["com.docker.compose.project": "shop", "com.docker.compose.volume": "data"])
    }

    /// `up` never builds nor pulls what a service builds: its image must be there already.
    @Test func servicesThatBuildNeedTheirImageAlreadyBuilt() throws {
        let p = try ProjectDir(["compose.yaml": "services:\n  app: {build: ./app}\n  web: {build: ., image: shop/web:1}\n  db: {image: postgres}\n"], name: "shop").load()
        #expect(p.imageName("app") == "shop-app")
        #expect(p.imageName("web") == "shop/web:1")
        var asked: [String] = []
        let error = #expect(throws: ComposeError.self) {
            try p.checkBuiltImages(["app", "db", "web"]) { asked.append($0); return false }
        }
        #expect(asked == ["shop-app", "shop/web:1"], "an image-only service is pulled as usual, not checked")
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("service \"app\" needs image shop-app, which is not built: run `berth build -t shop-app \(p.workingDir)/app` first"), "\(text)")
        #expect(text.contains("service \"web\" needs image shop/web:1"), "\(text)")
        // Present images are used, as `docker compose up --no-build` does.
        try p.checkBuiltImages(["app", "db", "web"]) { _ in true }
        #expect(try p.containerCreateBody("app")["Image"] as? String == "shop-app")
        #expect(try p.containerCreateBody("web")["Image"] as? String == "shop/web:1")
    }
}
