import Foundation
import Testing
@testable import BerthCompose

/// A course environment as instructors write them: jupyter built from the repository, postgres,
/// mongo and a database web tool behind a profile.
@Suite struct CourseEnvironmentTests {
    static let compose = """
    x-common: &common
      restart: unless-stopped
      labels:
        course: "ds101"
    services:
      jupyter:
        <<: *common
        build:
          context: ./notebook
          args:
            PYTHON_VERSION: "3.11"
        image: course/jupyter:${TAG:-latest}
        command: start-notebook.py --NotebookApp.token='' --ip=0.0.0.0
        ports:
          - "8888:8888"
          - 127.0.0.1:6006-6007:6006-6007/tcp
        environment:
          - JUPYTER_ENABLE_LAB=yes
          - DATABASE_URL=postgresql://course:${PGPASS:?set PGPASS}@db/course
          - HOME
        volumes:
          - ./work:/home/jovyan/work
          - notebooks:/home/jovyan/.jupyter:ro
        depends_on:
          db:
            condition: service_healthy
          mongo:
            condition: service_started
        networks: [backend, frontend]
      db:
        image: postgres:16
        environment:
          POSTGRES_USER: course
          POSTGRES_PASSWORD: $PGPASS
        volumes:
          - pgdata:/var/lib/postgresql/data
        healthcheck:
          test: pg_isready -U course
          interval: 10s
          timeout: 5s
          retries: 5
        networks:
          backend:
            aliases: [postgres]
      mongo:
        image: mongo:7
        volumes:
          - type: volume
            source: mongodata
            target: /data/db
        networks:
          - backend
      adminer:
        image: adminer
        ports:
          - target: 8080
            published: 8081
        profiles: [tools]
        networks: [frontend]
    volumes:
      pgdata:
      mongodata:
      notebooks:
    networks:
      backend:
        ipam:
          config:
            - subnet: 172.28.0.0/16
      frontend:
    """

    @Test func loadsTheTypedModel() throws {
        let dir = try ProjectDir(["compose.yaml": Self.compose, ".env": "PGPASS=s3cret\nTAG=2024\n"], name: "DS-101 Env")
        let p = try dir.load(environment: ["HOME": "/home/student"])
        #expect(p.name == "ds-101env")
        #expect(p.workingDir == dir.path)
        #expect(p.services.keys.sorted() == ["db", "jupyter", "mongo"])  // adminer's profile is off
        let j = try #require(p.services["jupyter"])
        #expect(j.image == "course/jupyter:2024")
        #expect(j.build == Service.Build(context: dir.path + "/notebook", dockerfile: "Dockerfile", args: ["PYTHON_VERSION": "3.11"], target: nil))
        #expect(j.command == ["start-notebook.py", "--NotebookApp.token=", "--ip=0.0.0.0"])
        #expect(j.restart == "unless-stopped")
        #expect(j.labels == ["course": "ds101"])
        #expect(j.environment == ["JUPYTER_ENABLE_LAB": "yes", "DATABASE_URL": "postgresql://course:s3cret@db/course", "HOME": "/home/student"])
        #expect(j.ports == [
            ServicePort(target: 8888, published: "8888"),
            ServicePort(target: 6006, published: "6006", hostIP: "127.0.0.1"),
            ServicePort(target: 6007, published: "6007", hostIP: "127.0.0.1"),
        ])
        #expect(j.volumes == [
            ServiceVolume(type: .bind, source: dir.path + "/work", target: "/home/jovyan/work", createHostPath: true),
            ServiceVolume(type: .volume, source: "notebooks", target: "/home/jovyan/.jupyter", readOnly: true),
        ])
        #expect(j.dependsOn == ["db": .init(condition: "service_healthy"), "mongo": .init()])
        #expect(j.networks == ["backend": .init(), "frontend": .init()])
        let db = try #require(p.services["db"])
        #expect(db.healthcheck == Service.Healthcheck(test: ["CMD-SHELL", "pg_isready -U course"], interval: Duration(nanoseconds: 10_000_000_000),
                                                      timeout: Duration(nanoseconds: 5_000_000_000), retries: 5))
        #expect(db.networks == ["backend": .init(aliases: ["postgres"])])
        #expect(p.networks["backend"]?.name == "ds-101env_backend")
        #expect(p.networks["backend"]?.ipam?.config == [.init(subnet: "172.28.0.0/16")])
        #expect(p.networks["default"] == nil)  // no active service uses it
        #expect(p.volumes["pgdata"]?.name == "ds-101env_pgdata")
        #expect(p.warnings.isEmpty)
    }

    @Test func profileEnablesTheWebTool() throws {
        let dir = try ProjectDir(["compose.yaml": Self.compose], name: "c")
        let p = try dir.load(environment: ["PGPASS": "x", "COMPOSE_PROFILES": "tools"])
        #expect(p.services["adminer"]?.ports == [ServicePort(target: 8080, published: "8081")])
        let q = try dir.load(environment: ["PGPASS": "x"]) { $0.profiles = ["*"] }
        #expect(q.services.count == 4)
    }

    @Test func requiredVariableMissingNamesIt() throws {
        let dir = try ProjectDir(["compose.yaml": Self.compose])
        #expect(throws: ComposeError.interpolation(file: dir.path + "/compose.yaml", line: 19, path: "services.jupyter.environment.1",
                                                   problem: "required variable PGPASS is missing a value: set PGPASS")) {
            try dir.load()
        }
    }

    /// The whole `config` output of a small project, as docker compose v2 prints it.
    @Test func configOutput() throws {
        let dir = try ProjectDir(["compose.yaml": """
        services:
          web:
            image: "nginx:1.27"
            ports: ["8080:80", "53:53/udp"]
            environment: {DEBUG: true, EMPTY: ""}
            volumes: ["./site:/usr/share/nginx/html:ro", "cache:/var/cache/nginx"]
            depends_on: [app]
          app:
            build: ./app
            command: ["python", "app.py"]
            stop_grace_period: 90s
            tty: true
        volumes:
          cache: {}
        """], name: "shop")
        let yaml = try dir.load().configYAML()
        #expect(yaml == """
        name: shop
        services:
          app:
            build:
              context: \(dir.path)/app
              dockerfile: Dockerfile
            command:
              - python
              - app.py
            networks:
              default: null
            stop_grace_period: 1m30s
            tty: true
          web:
            depends_on:
              app:
                condition: service_started
                required: true
            environment:
              DEBUG: "true"
              EMPTY: ""
            image: nginx:1.27
            networks:
              default: null
            ports:
              - mode: ingress
                target: 80
                published: "8080"
                protocol: tcp
              - mode: ingress
                target: 53
                published: "53"
                protocol: udp
            volumes:
              - type: bind
                source: \(dir.path)/site
                target: /usr/share/nginx/html
                read_only: true
                bind:
                  create_host_path: true
              - type: volume
                source: cache
                target: /var/cache/nginx
                volume: {}
        networks:
          default:
            name: shop_default
        volumes:
          cache:
            name: shop_cache

        """)
        // What is printed loads back to the same project.
        let again = try ProjectDir(["compose.yaml": yaml], name: "other")
        let reloaded = try again.load()
        #expect(reloaded.name == "shop")
        #expect(reloaded.services == (try dir.load()).services)
    }
}
