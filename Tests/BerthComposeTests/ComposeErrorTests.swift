import Testing
@testable import BerthCompose

/// Every refusal names the file, the key path and the problem, in docker compose's words.
@Suite struct ComposeErrorTests {
    /// (compose.yaml, what the message ends with after "validating <file>: " or "<file>: ").
    static let invalidCases: [(String, String)] = [
        ("[]", "(root) must be a mapping"),
        ("services: []", "services must be a mapping"),
        ("bogus: 1\nservices: {}", "(root) additional properties 'bogus' not allowed"),
        ("name: 5\nservices: {}", "name must be a string"),
        ("services:\n  web: [a]", "services.web must be a mapping"),
        ("services:\n  web:\n    image: x\n    imagee: y", "services.web additional properties 'imagee' not allowed"),
        ("services:\n  web:\n    image: 5", "services.web.image must be a string"),
        ("services:\n  web:\n    image: x\n    ports: [{}]", "services.web.ports.0 target is required"),
        ("services:\n  web:\n    image: x\n    ports: [[80]]", "services.web.ports.0 must be a string or number"),
        ("services:\n  web:\n    image: x\n    ports: \"80:80\"", "services.web.ports must be an array"),
        ("services:\n  web:\n    image: x\n    ports: [\"80:http\"]", "services.web.ports.0 is not a valid port: invalid containerPort: http"),
        ("services:\n  web:\n    image: x\n    ports: [\"99999:80\"]", "services.web.ports.0 is not a valid port: invalid hostPort: 99999"),
        ("services:\n  web:\n    image: x\n    ports: [\"80/icmp\"]", "services.web.ports.0 is not a valid port: invalid proto: icmp"),
        ("services:\n  web:\n    image: x\n    ports: [\"8080:0\"]", "services.web.ports.0 is not a valid port: invalid containerPort: 0"),
        ("services:\n  web:\n    image: x\n    ports: [\"1-3:4-5\"]", "services.web.ports.0 is not a valid port: invalid ranges specified for container and host Ports: 4-5 and 1-3"),
        ("services:\n  web:\n    image: x\n    ports: [\"nothost:80:80\"]", "services.web.ports.0 is not a valid port: invalid IP address: nothost"),
        ("services:\n  web:\n    image: x\n    ports: [{target: 0}]", "services.web.ports.0.target must be a port between 1 and 65535"),
        ("services:\n  web:\n    image: x\n    ports: [{target: 80, protocol: icmp}]", "services.web.ports.0.protocol must be tcp, udp or sctp"),
        ("services:\n  web:\n    image: x\n    volumes: [\"data:relative\"]", "services.web.volumes.0 is not a valid volume: the target \"relative\" is not an absolute path"),
        ("services:\n  web:\n    image: x\n    volumes: [\"./a:/b:rx\"]", "services.web.volumes.0 is not a valid volume: unknown mode \"rx\""),
        ("services:\n  web:\n    image: x\n    volumes: [\"a:b:c:d\"]", "services.web.volumes.0 is not a valid volume: \"a:b:c:d\""),
        ("services:\n  web:\n    image: x\n    volumes: [{type: nfs, target: /x}]", "services.web.volumes.0.type must be one of bind, volume, tmpfs"),
        ("services:\n  web:\n    image: x\n    volumes: [{type: bind, target: /x}]", "services.web.volumes.0 source is required for a bind mount"),
        ("services:\n  web:\n    image: x\n    volumes: [{type: volume, target: /x, read_only: maybe}]", "services.web.volumes.0.read_only must be a boolean"),
        ("services:\n  web:\n    image: x\n    environment: 5", "services.web.environment must be a mapping or an array"),
        ("services:\n  web:\n    image: x\n    environment: {A: [1]}", "services.web.environment.A must be a string, number, boolean or null"),
        ("services:\n  web:\n    image: x\n    command: {a: b}", "services.web.command must be a string or an array"),
        ("services:\n  web:\n    image: x\n    command: [sleep, [10]]", "services.web.command.1 must be a string"),
        ("services:\n  web:\n    image: x\n    command: \"echo 'unterminated\"", "services.web.command is not a valid command line: unterminated quote or trailing backslash"),
        ("services:\n  web:\n    image: x\n    restart: sometimes", "services.web.restart must be one of no, always, on-failure[:max-retries], unless-stopped (got \"sometimes\")"),
        ("services:\n  web:\n    image: x\n    depends_on: {db: {condition: service_ready}}", "services.web.depends_on.db.condition must be one of service_started, service_healthy, service_completed_successfully"),
        ("services:\n  web:\n    image: x\n    healthcheck: {test: [RUN, x]}", "services.web.healthcheck.test must start with NONE, CMD or CMD-SHELL"),
        ("services:\n  web:\n    image: x\n    healthcheck: {test: x, interval: 10}", "services.web.healthcheck.interval must be a string"),
        ("services:\n  web:\n    image: x\n    healthcheck: {test: x, interval: 10 seconds}", "services.web.healthcheck.interval must be a duration like 30s or 1m30s (got \"10 seconds\")"),
        ("services:\n  web:\n    image: x\n    tty: yes", "services.web.tty must be a boolean"),
        ("services:\n  web:\n    image: x\n    mem_limit: lots", "services.web.mem_limit must be a size like 512m or 2g (got \"lots\")"),
        ("services:\n  web:\n    image: x\n    extra_hosts: [justahost]", "services.web.extra_hosts.0 must be host=address or host:address (got \"justahost\")"),
        ("services:\n  web:\n    image: x\n    networks: {front: {ipv4_address: 10.0.0}}\nnetworks: {front: {}}", "services.web.networks.front.ipv4_address must be an IPv4 address"),
        ("services:\n  web:\n    image: x\n    profiles: [\"-bad\"]", "services.web.profiles.0 does not match pattern ^[a-zA-Z0-9][a-zA-Z0-9_.-]+$"),
        ("services:\n  web:\n    image: x\n    expose: [http]", "services.web.expose.0 is not a port or port range: \"http\""),
        ("services:\n  web:\n    build: {context: ., dockerfil: x}", "services.web.build additional properties 'dockerfil' not allowed"),
        ("services: {}\nvolumes:\n  data: {external: true, driver: local}", "volumes.data conflicting parameters \"external\" and \"driver\" specified"),
        ("services: {}\nnetworks:\n  n: {ipam: {config: [{subnet: 1}]}}", "networks.n.ipam.config.0.subnet must be a string"),
    ]

    @Test(arguments: invalidCases) func invalid(_ yaml: String, _ expected: String) throws {
        let message = try #require(loadError(yaml))
        #expect(message.hasPrefix("validating /"), "\(message)")
        #expect(message.hasSuffix(": " + expected), "\(message)")
        // The file, and the line of the key or item at fault when the document has one.
        let place = try #require(message.dropFirst("validating ".count).components(separatedBy: ": ").first)
        let line = place.split(separator: ":").dropFirst().first.flatMap { Int($0) }
        #expect(place.hasSuffix("/compose.yaml") || (line.map { (1...yaml.split(separator: "\n").count).contains($0) } ?? false), "\(message)")
        #expect(line != nil || expected.hasPrefix("(root)"), "\(message)")
    }

    /// The line named is the one of the key or item at fault, through interpolation, and the
    /// alias's own key for what an alias brought in.
    @Test func errorsNameTheLine() throws {
        let yaml = """
        x-ports: &ports
          - "80:http"
        services:
          web:
            image: x

            imagee: y
          api:
            image: ${IMG}
            ports: *ports
          db:
            image: x
            ports:
              - "5432:5432"
              - target: 0
        """
        #expect(loadError(yaml)?.hasSuffix("/compose.yaml:7: services.web additional properties 'imagee' not allowed") == true, "\(loadError(yaml) ?? "")")
        let api = yaml.replacingOccurrences(of: "    imagee: y\n", with: "")
        #expect(loadError(api, environment: ["IMG": "x"])?.hasSuffix("/compose.yaml:9: services.api.ports.0 is not a valid port: invalid containerPort: http") == true,
                "\(loadError(api, environment: ["IMG": "x"]) ?? "")")
        let db = api.replacingOccurrences(of: "ports: *ports", with: "command: [a]")
        #expect(loadError(db)?.hasSuffix("/compose.yaml:14: services.db.ports.1.target must be a port between 1 and 65535") == true, "\(loadError(db) ?? "")")
        let interpolated = db.replacingOccurrences(of: "image: ${IMG}", with: "image: ${IMG:?give IMG}")
        #expect(loadError(interpolated)?.hasSuffix("/compose.yaml:8: error while interpolating services.api.image: required variable IMG is missing a value: give IMG") == true,
                "\(loadError(interpolated) ?? "")")
    }

    static let unsupportedCases: [(String, String)] = [
        ("services:\n  web:\n    image: x\n    privileged: true", "services.web.privileged is not supported by berth compose yet"),
        ("services:\n  web:\n    image: x\n    deploy: {replicas: 2}", "services.web.deploy is not supported by berth compose yet"),
        ("services:\n  web:\n    build: {context: ., ssh: [default]}", "services.web.build.ssh is not supported by berth compose yet"),
        ("services: {}\nsecrets: {s: {file: x}}", "secrets is not supported by berth compose yet"),
    ]

    @Test(arguments: unsupportedCases) func unsupported(_ yaml: String, _ expected: String) throws {
        let message = try #require(loadError(yaml))
        #expect(message.contains("/compose.yaml:"), "\(message)")
        #expect(message.hasSuffix(": " + expected), "\(message)")
    }

    static let projectCases: [(String, String)] = [
        ("services:\n  web: {}", "service \"web\" has neither an image nor a build context specified: invalid compose project"),
        ("services:\n  web:\n    image: x\n    depends_on: [db]", "service \"web\" depends on undefined service \"db\": invalid compose project"),
        ("services:\n  web:\n    image: x\n    networks: [front]", "service \"web\" refers to undefined network front: invalid compose project"),
        ("services:\n  web:\n    image: x\n    volumes: [\"data:/data\"]", "service \"web\" refers to undefined volume data: invalid compose project"),
        ("services:\n  web:\n    image: x\n    env_file: web.env", "web.env: env file not found (service \"web\")"),
        ("name: My_Project\nservices: {}", "invalid project name \"My_Project\": it must contain only lowercase letters, decimal digits, dashes, and underscores, and must begin with a lowercase letter or decimal digit"),
    ]

    @Test(arguments: projectCases) func projectLevel(_ yaml: String, _ expected: String) throws {
        let message = try #require(loadError(yaml))
        #expect(message.hasSuffix(expected), "\(message)")
    }

    @Test func yamlSyntaxNamesLineAndColumn() throws {
        let message = try #require(loadError("services:\n  web:\n    image: [unclosed\n"))
        #expect(message.hasPrefix("yaml: /"), "\(message)")
        #expect(message.contains("/compose.yaml: line 4"), "\(message)")
    }

    @Test func duplicateKeysAreRefused() throws {
        let message = try #require(loadError("services:\n  web:\n    image: a\n    image: b\n"))
        #expect(message.hasSuffix("line 4, column 5: mapping key \"image\" already defined at line 3"), "\(message)")
    }

    @Test func emptyFile() throws {
        let message = try #require(loadError("# nothing\n"))
        #expect(message.hasSuffix("compose.yaml: (root) is empty: a compose file needs at least a services: mapping"), "\(message)")
    }

    @Test func noComposeFile() throws {
        let dir = try ProjectDir(["README.md": "x"])
        #expect(throws: ComposeError.noComposeFile(directory: dir.path)) { try dir.load() }
    }

    @Test func envFileThatIsNotARegularFileIsRefused() throws {
        let message = try #require(loadError("services:\n  web:\n    image: x\n    env_file: /dev/zero\n"))
        #expect(message == "/dev/zero: not a regular file", "\(message)")
    }
}
