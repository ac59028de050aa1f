import Testing
@testable import BerthCompose

/// `-f compose.yaml -f compose.prod.yaml`: the compose specification's merge rules.
@Suite struct MergeTests {
    static let base = """
    services:
      web:
        image: web:dev
        build: ./web
        command: ["npm", "run", "dev"]
        environment: [A=1, B=2]
        labels: {tier: front}
        ports: ["3000:3000"]
        volumes: ["./src:/app/src", "node_modules:/app/node_modules"]
        networks: [front]
        depends_on: [db]
        cap_add: [SYS_PTRACE]
        extra_hosts: ["api:10.0.0.1"]
        healthcheck:
          test: ["CMD", "true"]
          interval: 5s
      db:
        image: postgres:15
    volumes:
      node_modules:
    networks:
      front:
        labels: {a: "1"}
    """
    static let override = """
    services:
      web:
        image: web:prod
        build:
          target: production
          args: [NODE_ENV=production]
        command: node server.js
        environment:
          B: "20"
          C: "3"
        ports: ["3000:3000", "443:8443"]
        volumes: ["./dist:/app/src:ro"]
        networks:
          back:
            aliases: [www]
        depends_on:
          cache:
            condition: service_healthy
        cap_add: [NET_ADMIN, SYS_PTRACE]
        extra_hosts: {api: 10.0.0.2}
        healthcheck:
          interval: 30s
        restart: always
      cache:
        image: redis
        profiles: [never]
    networks:
      front:
        driver: bridge
      back:
    """

    @Test func laterFileOverridesAndMerges() throws {
        let dir = try ProjectDir(["compose.yaml": Self.base, "compose.prod.yaml": Self.override], name: "app")
        let p = try dir.load(["compose.yaml", "compose.prod.yaml"]) { $0.profiles = ["never"] }
        #expect(p.files == [dir.path + "/compose.yaml", dir.path + "/compose.prod.yaml"])
        let web = try #require(p.services["web"])
        #expect(web.image == "web:prod")
        #expect(web.build == Service.Build(context: dir.path + "/web", dockerfile: "Dockerfile", args: ["NODE_ENV": "production"], target: "production"))
        #expect(web.command == ["node", "server.js"])                             // replaced, not appended
        #expect(web.environment == ["A": "1", "B": "20", "C": "3"])               // merged by key
        #expect(web.labels == ["tier": "front"])
        #expect(web.ports == [ServicePort(target: 3000, published: "3000"), ServicePort(target: 8443, published: "443")])  // unique
        #expect(web.volumes == [                                                   // unique by target
            ServiceVolume(type: .bind, source: dir.path + "/dist", target: "/app/src", readOnly: true, createHostPath: true),
            ServiceVolume(type: .volume, source: "node_modules", target: "/app/node_modules"),
        ])
        #expect(web.networks == ["front": .init(), "back": .init(aliases: ["www"])])
        #expect(web.dependsOn == ["db": .init(), "cache": .init(condition: "service_healthy")])
        #expect(web.capAdd == ["SYS_PTRACE", "NET_ADMIN"])
        #expect(web.extraHosts == ["api=10.0.0.2"])
        #expect(web.healthcheck == Service.Healthcheck(test: ["CMD", "true"], interval: Duration(nanoseconds: 30_000_000_000)))
        #expect(web.restart == "always")
        #expect(p.services["db"]?.image == "postgres:15")
        #expect(p.networks["front"] == Network(name: "app_front", driver: "bridge", labels: ["a": "1"]))
        #expect(p.networks["back"]?.name == "app_back")
    }

    @Test func overrideFileBesideTheComposeFileIsMergedWhenDiscovered() throws {
        let dir = try ProjectDir(["docker-compose.yml": "services:\n  a:\n    image: one\n",
                                  "docker-compose.override.yml": "services:\n  a:\n    image: two\n"])
        let p = try dir.load()
        #expect(p.files == [dir.path + "/docker-compose.yml", dir.path + "/docker-compose.override.yml"])
        #expect(p.services["a"]?.image == "two")
    }

    @Test func disabledDependencyIsAnError() throws {
        let dir = try ProjectDir(["compose.yaml": Self.base, "compose.prod.yaml": Self.override])
        #expect(throws: ComposeError.invalidProject("service \"cache\" is required by \"web\" but is disabled (its profiles are not active)")) {
            try dir.load(["compose.yaml", "compose.prod.yaml"])
        }
    }
}
