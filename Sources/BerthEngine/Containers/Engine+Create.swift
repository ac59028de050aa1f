import BerthOCI
import BerthRuntime
import BerthStore
import Foundation

extension Engine {
    /// `POST /containers/create`: validates the body, resolves the image and records the
    /// container. Returns the id and warnings for the client to print.
    public func createContainer(name: String?, body: Data) async throws -> (id: String, warnings: [String]) {
        guard let raw = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            throw EngineError(.invalid, "the container config is not a JSON object")
        }
        try UnsupportedFields.check(raw)
        let decoder = JSONDecoder()
        var config: DockerConfig
        do { config = try decoder.decode(DockerConfig.self, from: body) } catch {
            throw EngineError(.invalid, "malformed container config: \(error)")
        }
        var host = DockerHostConfig()
        if let h = raw["HostConfig"], !(h is NSNull) {
            do { host = try decoder.decode(DockerHostConfig.self, from: try JSONSerialization.data(withJSONObject: h)) } catch {
                throw EngineError(.invalid, "malformed HostConfig: \(error)")
            }
        }
        try HealthProbe.validate(config.Healthcheck)
        guard let imageName = config.Image, !imageName.isEmpty else {
            throw EngineError(.invalid, "config.Image is required: name the image to run")
        }
        let image = try await images.resolve(imageName)
        let imageConfig = try ImageConfig.decode(try content.read(image.id)).config ?? ContainerConfig()
        Self.merge(image: imageConfig, into: &config)
        let argv = (config.Entrypoint ?? []) + (config.Cmd ?? [])
        guard let path = argv.first else {
            throw EngineError(.invalid, "No command specified: the image has no CMD or ENTRYPOINT; give a command after the image name")
        }
        var warnings: [String] = []
        try validate(host, warnings: &warnings)
        let endpoints = try await requestedEndpoints(host, config: config, networking: raw["NetworkingConfig"], warnings: &warnings)

        let containerName: String
        if let name, !name.isEmpty {
            let n = name.hasPrefix("/") ? String(name.dropFirst()) : name
            guard n.utf8.count <= Self.maxNameLength else {
                throw EngineError(.invalid, "Invalid container name (\(n.prefix(32))…): at most \(Self.maxNameLength) characters")
            }
            guard Self.isValidName(n) else {
                throw EngineError(.invalid, "Invalid container name (\(name)), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
            }
            // Before any volume is made for it.
            try await containers.checkNameFree(n)
            containerName = n
        } else {
            var n = Defaults.name()
            while await containers.isNameTaken(n) { n = Defaults.name() + "\(Int.random(in: 0..<100))" }
            containerName = n
        }
        let id = (0..<4).map { _ in String(format: "%016llx", UInt64.random(in: 0...UInt64.max)) }.joined()
        var record = ContainerRecord(id: id, name: containerName, created: Date(), image: imageName, imageID: image.id,
                                     config: config, hostConfig: host, path: path, args: Array(argv.dropFirst()))
        let points = try await resolveMountPoints(host, configVolumes: Array((config.Volumes ?? [:]).keys), containerID: id)
        record.mounts = points
        record.endpoints = endpoints
        do { try await containers.insert(record) } catch {
            await releaseVolumes(points, of: id, removeAnonymous: true)
            throw error
        }
        let bundle = containers.bundle(id)
        for dir in ["upper", "work", "rootfs"] { try FileSystem.makeDirectory("\(bundle)/\(dir)", mode: 0o755) }
        await emit("create", record)
        return (id, warnings)
    }

    /// Docker's merge of the image's run defaults into the create config.
    static func merge(image: ContainerConfig, into c: inout DockerConfig) {
        if (c.Entrypoint ?? []).isEmpty {
            if (c.Cmd ?? []).isEmpty { c.Cmd = image.cmd }
            if c.Entrypoint == nil { c.Entrypoint = image.entrypoint }
        }
        // A later value of a name replaces every earlier one and goes last; indexed by name, as
        // a request may carry tens of thousands of variables.
        var env = image.env ?? []
        func name(_ e: String) -> String { e.split(separator: "=", maxSplits: 1).first.map(String.init) ?? e }
        var positions: [String: [Int]] = [:]
        for (i, e) in env.enumerated() { positions[name(e), default: []].append(i) }
        var replaced = Set<Int>()
        for e in c.Env ?? [] {
            let key = name(e)
            replaced.formUnion(positions[key] ?? [])
            positions[key] = [env.count]
            env.append(e)
        }
        c.Env = env.indices.filter { !replaced.contains($0) }.map { env[$0] }
        if (c.WorkingDir ?? "").isEmpty { c.WorkingDir = image.workingDir }
        if (c.User ?? "").isEmpty { c.User = image.user }
        if c.StopSignal == nil { c.StopSignal = image.stopSignal }
        c.Healthcheck = Self.mergeHealthcheck(image: image.healthcheck, user: c.Healthcheck)
        c.Labels = (image.labels ?? [:]).merging(c.Labels ?? [:]) { _, user in user }
        c.ExposedPorts = (image.exposedPorts ?? [:]).merging(c.ExposedPorts ?? [:]) { a, _ in a }
        c.Volumes = (image.volumes ?? [:]).merging(c.Volumes ?? [:]) { a, _ in a }
    }

    /// Longer names are refused (Docker sets no limit; a name ends up in hosts files and DNS).
    static let maxNameLength = 255

    static func isValidName(_ n: String) -> Bool {
        let u = Array(n.utf8)
        guard u.count >= 2, u.count <= maxNameLength, let f = u.first else { return false }
        func alnum(_ c: UInt8) -> Bool { (0x30...0x39).contains(c) || (0x41...0x5a).contains(c) || (0x61...0x7a).contains(c) }
        return alnum(f) && u.dropFirst().allSatisfy { alnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    /// Refuses what berthd cannot honour yet, with the reason; notes what it changes.
    func validate(_ h: DockerHostConfig, warnings: inout [String]) throws(EngineError) {
        if let p = h.RestartPolicy {
            if h.AutoRemove == true && !p.isNone { throw EngineError(.invalid, "can't create 'AutoRemove' container with restart policy") }
            try p.validate()
        }
        if let t = h.LogConfig?.Type, !t.isEmpty, t != "json-file" {
            throw EngineError(.invalid, "log driver \"\(t)\" is not supported; berthd writes json-file logs")
        }
        for opt in h.LogConfig?.Config?.keys.sorted() ?? [] where !["max-size", "max-file"].contains(opt) {
            throw EngineError(.invalid, "unknown log opt '\(opt)' for json-file log driver (berthd supports max-size and max-file)")
        }
        for opt in h.SecurityOpt ?? [] {
            let key = opt.split(whereSeparator: { $0 == "=" || $0 == ":" }).first.map(String.init) ?? opt
            guard ["seccomp", "no-new-privileges"].contains(key) else {
                throw EngineError(.invalid, "security option \"\(opt)\" is not supported by berthd (it supports seccomp=… and no-new-privileges)")
            }
        }
        _ = try Defaults.capabilities(add: h.CapAdd ?? [], drop: h.CapDrop ?? [], privileged: h.Privileged ?? false)
        try validateUserNamespace(h)
    }
}
