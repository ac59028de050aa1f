import BerthOCI
import Foundation
import Glibc

/// The docker CLI's `config.json` (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`):
/// `auths` maps a registry to base64 `user:password`, and `credsStore`/`credHelpers` name
/// `docker-credential-*` programs that keep secrets instead. Keys berth does not know are kept.
struct DockerConfig {
    /// How Docker Hub is keyed, as the docker CLI writes it.
    static let hubServer = "https://index.docker.io/v1/"

    let path: String
    var document: [String: Any]

    static var defaultPath: String {
        if let dir = ProcessInfo.processInfo.environment["DOCKER_CONFIG"], !dir.isEmpty { return "\(dir)/config.json" }
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        return "\(home)/.docker/config.json"
    }

    static func load(_ path: String = defaultPath) throws -> DockerConfig {
        guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else { return DockerConfig(path: path, document: [:]) }
        guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CLIError("\(path) is not a JSON object; fix or remove it")
        }
        return DockerConfig(path: path, document: obj)
    }

    /// The key `login` stores a server under: Docker Hub's URL, else `host[:port]`.
    static func key(forServer server: String) -> String {
        let domain = domain(of: server)
        return domain == Reference.defaultDomain ? hubServer : domain
    }

    /// `https://index.docker.io/v1/` → `docker.io`; `http://host:5000/x` → `host:5000`.
    static func domain(of server: String) -> String {
        var s = server
        for scheme in ["https://", "http://"] where s.hasPrefix(scheme) { s = String(s.dropFirst(scheme.count)) }
        if let slash = s.firstIndex(of: "/") { s = String(s[..<slash]) }
        switch s.lowercased() {
        case "", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com", "docker.io": return Reference.defaultDomain
        default: return s.lowercased()
        }
    }

    var auths: [String: [String: Any]] { document["auths"] as? [String: [String: Any]] ?? [:] }

    /// The helper that keeps secrets for `domain`, if any.
    func helper(for domain: String) -> String? {
        let helpers = document["credHelpers"] as? [String: String] ?? [:]
        if let h = helpers.first(where: { Self.domain(of: $0.key) == domain })?.value { return h }
        return (document["credsStore"] as? String).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Stored credentials for a reference's domain: `(username, password, identitytoken)`.
    func credentials(for domain: String) throws -> (String, String, String?)? {
        if let helper = helper(for: domain) {
            let server = domain == Reference.defaultDomain ? Self.hubServer : domain
            let r = try CredentialHelper(name: helper).run("get", input: server)
            guard r.status == 0, let obj = try? JSONSerialization.jsonObject(with: r.output) as? [String: Any] else { return nil }
            let user = obj["Username"] as? String ?? ""
            let secret = obj["Secret"] as? String ?? ""
            return user == "<token>" ? ("", "", secret) : (user, secret, nil)
        }
        guard let entry = auths.first(where: { Self.domain(of: $0.key) == domain })?.value else { return nil }
        var user = entry["username"] as? String ?? ""
        var password = entry["password"] as? String ?? ""
        if let auth = entry["auth"] as? String, let raw = Data(base64Encoded: auth), let pair = String(data: raw, encoding: .utf8),
            let colon = pair.firstIndex(of: ":")
        {
            user = String(pair[..<colon])
            password = String(pair[pair.index(after: colon)...])
        }
        let token = (entry["identitytoken"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        if user.isEmpty, password.isEmpty, token == nil { return nil }
        return (user, password, token)
    }

    /// The `X-Registry-Auth` header for `domain`: URL-safe base64 of the AuthConfig JSON, or of
    /// `{}` when nothing is stored (what the docker CLI sends).
    func registryAuthHeader(for domain: String) throws -> String {
        var obj: [String: String] = [:]
        if let (user, password, token) = try credentials(for: domain) {
            obj = ["username": user, "password": password, "serveraddress": domain == Reference.defaultDomain ? Self.hubServer : domain]
            if let token { obj["identitytoken"] = token }
        }
        let data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
        return data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }

    /// Records credentials for `server` (through its credential helper when one is set).
    mutating func store(server: String, username: String, password: String) throws {
        let key = Self.key(forServer: server)
        if let helper = helper(for: Self.domain(of: server)) {
            let input = try JSONSerialization.data(withJSONObject: ["ServerURL": key, "Username": username, "Secret": password])
            let r = try CredentialHelper(name: helper).run("store", input: String(decoding: input, as: UTF8.self))
            guard r.status == 0 else { throw CLIError("error storing credentials - err: \(String(decoding: r.output, as: UTF8.self))") }
            var a = auths
            a[key] = [:]
            document["auths"] = a
        } else {
            var a = auths
            a[key] = ["auth": Data("\(username):\(password)".utf8).base64EncodedString()]
            document["auths"] = a
        }
        try save()
    }

    /// Forgets `server`; false when nothing was stored for it.
    mutating func remove(server: String) throws -> Bool {
        let domain = Self.domain(of: server)
        let keys = auths.keys.filter { Self.domain(of: $0) == domain }
        if let helper = helper(for: domain) {
            _ = try? CredentialHelper(name: helper).run("erase", input: Self.key(forServer: server))
        }
        guard !keys.isEmpty else { return false }
        var a = auths
        for k in keys { a[k] = nil }
        document["auths"] = a
        try save()
        return true
    }

    /// Writes the file 0600 through a rename, so a crash never leaves it half written.
    func save() throws {
        let dir = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var doc = document
        if doc["auths"] == nil { doc["auths"] = [String: Any]() }
        let data = try JSONSerialization.data(withJSONObject: doc, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        let tmp = "\(path).tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: tmp, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw CLIError("cannot write \(tmp)")
        }
        guard rename(tmp, path) == 0 else {
            unlink(tmp)
            throw CLIError("cannot replace \(path): \(String(cString: strerror(errno)))")
        }
    }
}

/// A `docker-credential-NAME` program, spoken to as the docker CLI does (action as argument,
/// input on stdin, JSON on stdout).
struct CredentialHelper {
    let name: String

    func run(_ action: String, input: String) throws -> (status: Int32, output: Data) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["docker-credential-\(name)", action]
        let stdin = Pipe(), stdout = Pipe()
        p.standardInput = stdin
        p.standardOutput = stdout
        do { try p.run() } catch {
            throw CLIError("cannot run the credential helper docker-credential-\(name): \(error)")
        }
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try? stdin.fileHandleForWriting.close()
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        if p.terminationStatus == 127 {
            throw CLIError("the credential helper docker-credential-\(name) named in \(DockerConfig.defaultPath) is not installed")
        }
        return (p.terminationStatus, out)
    }
}
