import ArgumentParser
import BerthAPI
import BerthArchive
import BerthDockerfile
import BerthOCI
import Foundation
import Glibc

/// `berth build [OPTIONS] PATH|-`: sends the context (less what .dockerignore excludes) to
/// berthd's `POST /build` and prints its progress.
struct Build: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "build", abstract: "Build an image from a Dockerfile")

    @Option(name: .shortAndLong, help: "Name and optionally a tag in the name:tag format") var tag: [String] = []
    @Option(name: .shortAndLong, help: "Name of the Dockerfile (default: PATH/Dockerfile)") var file: String?
    @Option(help: "Set the target build stage to build") var target: String?
    @Flag(name: .customLong("no-cache"), help: "Do not use cache when building the image") var noCache = false
    @Flag(help: "Always attempt to pull a newer version of the image") var pull = false
    @Option(help: "Set metadata for an image") var label: [String] = []
    @Option(name: .customLong("build-arg"), help: "Set build-time variables") var buildArg: [String] = []
    @Option(help: "Set platform (only this host's is supported)") var platform: String?
    @Option(help: "Type of progress output (auto, plain, tty)") var progress = "auto"
    @Flag(name: .shortAndLong, help: "Suppress the build output and print image ID on success") var quiet = false
    @Option(help: "Write the image ID to the file") var iidfile: String?
    @Flag(help: "Squash newly built layers into a single new layer") var squash = false
    @Option(help: "Set the networking mode for the RUN instructions during build (default, none, host)") var network: String?
    @Option(name: .customLong("rm"), help: "Remove intermediate containers after a successful build (--rm=false keeps them)") var removeIntermediate = true
    @Flag(name: .customLong("force-rm"), help: "Always remove intermediate containers") var forceRemove = false
    @Option(help: "Secret to expose to RUN --mount=type=secret (id=NAME,src=PATH or id=NAME,env=VARIABLE)") var secret: [String] = []
    @Option(help: "Allow an extra privileged entitlement (network.host: RUN --network=host)") var allow: [String] = []
    @Option(name: .customLong("cache-from"), help: "External cache sources (not supported by berth: its local cache is used)") var cacheFrom: [String] = []
    @Option(help: "SSH agent socket or keys to expose to the build (not supported by berth)") var ssh: [String] = []
    @Option(name: .customLong("base-image"), help: "Base image for a directory without a Dockerfile (repo2docker files)") var baseImage = "python:3.12-slim"
    @Flag(name: .customLong("print-dockerfile"), help: "Print the Dockerfile generated for a directory without one, and exit") var printDockerfile = false
    @Argument(help: "The build context: a directory, or - for a tar or Dockerfile on stdin") var path: String

    func run() throws {
        guard ["auto", "plain", "tty"].contains(progress) else { throw CLIError("invalid --progress \(progress): use auto, plain or tty") }
        guard ssh.isEmpty else {
            throw CLIError("--ssh is not supported by berth's builder (no ssh agent forwarding); fetch private sources before the build, or pass a key with --secret id=NAME,src=PATH")
        }
        guard cacheFrom.isEmpty else {
            throw CLIError("--cache-from is not supported: berth reuses only the steps this berthd built itself (an image from elsewhere could poison the cache); pull the image and build FROM it instead")
        }
        var query: [(String, String)] = [("version", "1")]
        if !allow.isEmpty { query.append(("allow", allow.joined(separator: ","))) }
        for t in tag {
            _ = try Reference(parsing: t)
            query.append(("t", t))
        }
        var args: [String: Any] = [:]
        for a in buildArg {
            let p = a.split(separator: "=", maxSplits: 1).map(String.init)
            if p.count == 2 { args[p[0]] = p[1] } else if let v = ProcessInfo.processInfo.environment[p[0]] { args[p[0]] = v } else { args[p[0]] = NSNull() }
        }
        if !args.isEmpty { query.append(("buildargs", String(decoding: try JSONSerialization.data(withJSONObject: args), as: UTF8.self))) }
        var labels: [String: String] = [:]
        for l in label {
            let p = l.split(separator: "=", maxSplits: 1).map(String.init)
            labels[p[0]] = p.count == 2 ? p[1] : ""
        }
        if !labels.isEmpty { query.append(("labels", String(decoding: try JSONSerialization.data(withJSONObject: labels), as: UTF8.self))) }
        if let target { query.append(("target", target)) }
        if noCache { query.append(("nocache", "1")) }
        if pull { query.append(("pull", "1")) }
        if quiet { query.append(("q", "1")) }
        if squash { query.append(("squash", "1")) }
        if let platform { query.append(("platform", platform)) }
        if let network { query.append(("networkmode", network)) }
        query.append(("rm", removeIntermediate ? "1" : "0"))
        if forceRemove { query.append(("forcerm", "1")) }

        let tarPath = "\(NSTemporaryDirectory())/berth-build-\(UUID().uuidString).tar"
        defer { unlink(tarPath) }
        let dockerfileName = try writeContext(to: tarPath)
        if printDockerfile { return }
        query.append(("dockerfile", dockerfileName))
        guard let source = FileHandle(forReadingAtPath: tarPath) else { throw CLIError("cannot read the context archive \(tarPath)") }
        defer { try? source.close() }
        let api = try API.connect()
        if !quiet {
            let size = UploadProgress.size(of: tarPath).map { HumanUnits.size($0) } ?? "?"
            FileHandle.standardOutput.write(Data("Sending build context to berthd  \(size)\n".utf8))
        }
        let auth = try DockerConfig.load().registryConfigHeader()
        var headers = [("Content-Type", "application/x-tar"), ("X-Registry-Config", auth)]
        if let secrets = try Self.secretsHeader(secret) { headers.append(("X-Berth-Build-Secrets", secrets)) }
        let resp = try api.call("POST", "/build", query: query, headers: headers, body: .stream(source))
        var imageID: String?
        try api.stream(resp) { msg in
            if let aux = msg["aux"] as? [String: Any], let id = aux["ID"] as? String { imageID = id }
            if !quiet, let s = msg["stream"] as? String {
                FileHandle.standardOutput.write(Data(s.utf8))
            }
        }
        guard let imageID else { throw CLIError("the build ended without an image id") }
        if quiet { print(imageID) }
        if let iidfile {
            guard FileManager.default.createFile(atPath: iidfile, contents: Data(imageID.utf8)) else { throw CLIError("cannot write --iidfile \(iidfile)") }
        }
    }

    /// The most secret bytes a build may send (berthd's limit: the header must fit a request head).
    static let maxSecretBytes = 32 * 1024

    /// `--secret id=NAME,src=PATH` (a file; `source=` too), `id=NAME,env=VARIABLE`, or
    /// `type=env|file` as docker buildx takes them (`id=NAME` alone: the variable NAME) as
    /// berth's `X-Berth-Build-Secrets` header: URL-safe base64 JSON of id → base64 value.
    static func secretsHeader(_ specs: [String]) throws -> String? {
        guard !specs.isEmpty else { return nil }
        var values: [String: String] = [:]
        var total = 0
        for spec in specs {
            var fields: [String: String] = [:]
            for part in spec.split(separator: ",") {
                let p = part.split(separator: "=", maxSplits: 1).map(String.init)
                guard p.count == 2 else { throw CLIError("invalid --secret \(spec): expected key=value fields, e.g. id=token,src=./token.txt") }
                let key = p[0].lowercased() == "source" ? "src" : p[0].lowercased()
                guard ["id", "src", "env", "type"].contains(key) else {
                    throw CLIError("invalid --secret \(spec): unexpected key \(p[0]); use id, src (or source), env or type")
                }
                fields[key] = p[1]
            }
            let type = fields["type"] ?? (fields["env"] != nil ? "env" : "file")
            guard type == "file" || type == "env" else { throw CLIError("invalid --secret \(spec): type must be file or env") }
            let id = fields["id"] ?? fields["src"].map { URL(fileURLWithPath: $0).lastPathComponent } ?? fields["env"] ?? ""
            guard !id.isEmpty else { throw CLIError("invalid --secret \(spec): give it an id, e.g. id=token,src=./token.txt") }
            let data: Data
            if type == "file", let src = fields["src"] {
                guard let d = FileManager.default.contents(atPath: src) else { throw CLIError("--secret \(id): cannot read \(src)") }
                data = d
            } else {
                if type == "file", fields["env"] == nil, ProcessInfo.processInfo.environment[id] == nil {
                    throw CLIError("invalid --secret \(spec): give its source, src=PATH or env=VARIABLE")
                }
                let name = fields["env"] ?? id
                guard let v = ProcessInfo.processInfo.environment[name] else { throw CLIError("--secret \(id): the environment variable \(name) is not set") }
                data = Data(v.utf8)
            }
            total += data.count
            guard total <= maxSecretBytes else {
                throw CLIError("--secret: the secrets total more than \(maxSecretBytes / 1024) KiB, berthd's limit; bind-mount large files from the context instead")
            }
            values[id] = data.base64EncodedString()
        }
        let json = try JSONSerialization.data(withJSONObject: values, options: [.sortedKeys])
        return json.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }

    /// Writes the context tar; returns the Dockerfile's name inside it.
    func writeContext(to tarPath: String) throws -> String {
        let out = open(tarPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard out >= 0 else { throw CLIError("cannot create \(tarPath): \(String(cString: strerror(errno)))") }
        defer { close(out) }
        if path == "-" {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            if Self.looksLikeArchive(data) {
                _ = data.withUnsafeBytes { write(out, $0.baseAddress, data.count) }
                return file ?? "Dockerfile"
            }
            let w = try TarStreamWriter(fd: out)
            try w.addData("Dockerfile", data)
            try w.finish()
            return "Dockerfile"
        }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
            throw CLIError("unable to prepare context: path \"\(path)\" not found or not a directory")
        }
        let root = URL(fileURLWithPath: path).standardizedFileURL.path
        // The Dockerfile: -f (relative to the current directory), else PATH/Dockerfile; a
        // directory with repo2docker files and no Dockerfile gets a generated one.
        var dockerfileName = "Dockerfile"
        var extra: (String, Data)?
        if let file {
            let abs = file == "-" ? nil : URL(fileURLWithPath: file).standardizedFileURL.path
            if let abs, abs.hasPrefix(root + "/") {
                dockerfileName = String(abs.dropFirst(root.count + 1))
            } else {
                let data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: abs!)
                guard let data else { throw CLIError("unable to read Dockerfile \(file)") }
                dockerfileName = ".dockerfile.\(UUID().uuidString.prefix(12).lowercased())"
                extra = (dockerfileName, data)
            }
        } else if !FileManager.default.fileExists(atPath: "\(root)/Dockerfile") {
            let generated: String?
            do { generated = try RepositoryRecipe.dockerfile(forDirectory: URL(fileURLWithPath: root), baseImage: baseImage) } catch {
                throw CLIError(error.description)
            }
            guard let generated else {
                throw CLIError("unable to prepare context: \(root) has no Dockerfile (and none of repo2docker's files); give one with -f")
            }
            if printDockerfile {
                print(generated, terminator: generated.hasSuffix("\n") ? "" : "\n")
                return dockerfileName
            }
            dockerfileName = ".dockerfile.generated"
            extra = (dockerfileName, Data(generated.utf8))
        }
        if printDockerfile {
            let text = extra.map { String(decoding: $0.1, as: UTF8.self) } ?? String(decoding: FileManager.default.contents(atPath: "\(root)/\(dockerfileName)") ?? Data(), as: UTF8.self)
            print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
            return dockerfileName
        }
        let ignore = FileManager.default.contents(atPath: "\(root)/.dockerignore").map { DockerIgnore(String(decoding: $0, as: UTF8.self)) }
        let rootFD = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard rootFD >= 0 else { throw CLIError("cannot open \(root): \(String(cString: strerror(errno)))") }
        defer { close(rootFD) }
        let keep: Set<String> = [dockerfileName, ".dockerignore"]
        do {
            _ = try TarTreeWriter.write(to: out) { tar in
                try Self.add(dirFD: rootFD, relative: "", ignore: ignore, keep: keep, into: tar)
            }
        } catch {
            throw CLIError("unable to send the build context: \(error)")
        }
        if let (name, data) = extra {
            // Appended as a second archive member set; berthd reads the concatenation.
            try Self.appendFile(name, data, to: tarPath)
        }
        return dockerfileName
    }

    static func add(dirFD: Int32, relative: String, ignore: DockerIgnore?, keep: Set<String>, into tar: TarTreeWriter) throws {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd/\(dirFD)")) ?? []).sorted()
        for name in names {
            let rel = relative.isEmpty ? name : "\(relative)/\(name)"
            var st = stat()
            guard fstatat(dirFD, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            let isDir = (st.st_mode & S_IFMT) == S_IFDIR
            let excluded = !keep.contains(rel) && (ignore?.isExcluded(rel) ?? false)
            if excluded && !(isDir && ignore?.mayReinclude(under: rel) == true) { continue }
            if !excluded { _ = try tar.addEntry(in: dirFD, name: name, as: isDir ? rel + "/" : rel) }
            if isDir {
                let child = openat(dirFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard child >= 0 else { continue }
                defer { close(child) }
                try add(dirFD: child, relative: rel, ignore: ignore, keep: keep, into: tar)
            }
        }
    }

    /// Rewrites the archive with one more file at its end (the tar's two zero blocks moved after it).
    static func appendFile(_ name: String, _ data: Data, to tarPath: String) throws {
        guard var archive = FileManager.default.contents(atPath: tarPath) else { throw CLIError("cannot read \(tarPath)") }
        // Strip trailing zero blocks, then add the entry and a fresh end.
        while archive.count >= 512, archive.suffix(512).allSatisfy({ $0 == 0 }) { archive.removeLast(512) }
        let tmp = tarPath + ".extra"
        defer { unlink(tmp) }
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CLIError("cannot create \(tmp)") }
        let w = try TarStreamWriter(fd: fd)
        try w.addData(name, data)
        try w.finish()
        close(fd)
        archive.append(FileManager.default.contents(atPath: tmp) ?? Data())
        guard FileManager.default.createFile(atPath: tarPath, contents: archive) else { throw CLIError("cannot write \(tarPath)") }
    }

    static func looksLikeArchive(_ d: Data) -> Bool {
        let head = [UInt8](d.prefix(262))
        if head.starts(with: [0x1f, 0x8b]) || head.starts(with: [0x28, 0xb5, 0x2f, 0xfd]) || head.starts(with: [0x42, 0x5a, 0x68]) || head.starts(with: [0xfd, 0x37, 0x7a, 0x58, 0x5a]) { return true }
        return head.count >= 262 && Array(head[257..<262]) == Array("ustar".utf8)
    }
}

/// `berth builder prune`.
struct BuilderGroup: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "builder", abstract: "Manage builds", subcommands: [BuilderPrune.self])
}

struct BuilderPrune: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove build cache")
    @Flag(name: .shortAndLong, help: "Remove all unused build cache, not just dangling ones") var all = false
    @Flag(name: .shortAndLong, help: "Do not prompt for confirmation") var force = false
    @Option(help: "Provide filter values (e.g. until=24h)") var filter: [String] = []
    @Option(name: .customLong("keep-storage"), help: "Amount of disk space to keep for cache") var keepStorage: String?

    func run() throws {
        var query: [(String, String)] = all ? [("all", "1")] : []
        var filters: [String: [String: Bool]] = [:]
        for f in filter {
            let p = f.split(separator: "=", maxSplits: 1).map(String.init)
            guard p.count == 2, !p[1].isEmpty else { throw CLIError("invalid filter \(f): expected key=value, e.g. until=24h") }
            guard p[0] == "until" || p[0] == "unused-for" else { throw CLIError("builder prune: the filter \(p[0]) is not supported by berth; use until=DURATION") }
            filters[p[0], default: [:]][p[1]] = true
        }
        if !filters.isEmpty { query.append(("filters", String(decoding: try JSONSerialization.data(withJSONObject: filters), as: UTF8.self))) }
        if let keepStorage {
            query.append(("keep-storage", String(try ContainerOptions.bytes(keepStorage, flag: "--keep-storage"))))
        }
        if !force {
            print("WARNING! This will remove all \(all ? "" : "dangling ")build cache. Are you sure you want to continue? [y/N] ", terminator: "")
            guard readLine()?.lowercased().hasPrefix("y") == true else { return }
        }
        let api = try API.connect()
        let result = try api.json("POST", "/build/prune", query: query)
        let obj = result as? [String: Any] ?? [:]
        let deleted = obj["CachesDeleted"] as? [String] ?? []
        if !deleted.isEmpty {
            print("Deleted build cache objects:")
            for d in deleted { print(d) }
        }
        print("Total reclaimed space: \(HumanUnits.size((obj["SpaceReclaimed"] as? NSNumber)?.int64Value ?? 0))")
    }
}

extension DockerConfig {
    /// `X-Registry-Config`: every stored login as registry → AuthConfig, URL-safe base64 JSON
    /// (what the docker CLI sends with a build, for pulling FROM images).
    func registryConfigHeader() throws -> String {
        var obj: [String: [String: String]] = [:]
        for key in auths.keys {
            let domain = Self.domain(of: key)
            guard let (user, password, token) = try credentials(for: domain) else { continue }
            var entry = ["username": user, "password": password, "serveraddress": key]
            if let token { entry["identitytoken"] = token }
            obj[key] = entry
        }
        let data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
        return data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }
}

/// `berth image audit IMAGE`: why an image is as big as it is.
struct ImageAudit: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Show per layer the bytes added, the bytes hidden by later layers and the largest files")
    @Option(help: "How many of each layer's largest files to list") var top = 5
    @Argument(help: "Image") var image: String

    func run() throws {
        let api = try API.connect()
        let layers = try api.json("GET", "/images/\(image)/audit", query: [("top", String(top))]) as? [[String: Any]] ?? []
        var added: Int64 = 0, hidden: Int64 = 0
        for (i, l) in layers.enumerated() {
            let a = (l["AddedBytes"] as? NSNumber)?.int64Value ?? 0
            let h = (l["HiddenBytes"] as? NSNumber)?.int64Value ?? 0
            added += a
            hidden += h
            var by = (l["CreatedBy"] as? String ?? "").replacingOccurrences(of: "\n", with: " ")
            if by.count > 70 { by = String(by.prefix(69)) + "…" }
            print("LAYER \(i + 1)  added \(HumanUnits.size(a))  hidden by later layers \(HumanUnits.size(h))  \(by)")
            for f in l["Largest"] as? [[String: Any]] ?? [] {
                print("    \(HumanUnits.size((f["Size"] as? NSNumber)?.int64Value ?? 0).padding(toLength: 10, withPad: " ", startingAt: 0)) \(f["Path"] as? String ?? "")")
            }
        }
        print("TOTAL added \(HumanUnits.size(added)), hidden \(HumanUnits.size(hidden)) (\(HumanUnits.size(added - hidden)) visible)")
    }
}
