import BerthArchive
import BerthDockerfile
import BerthOCI
import BerthRegistry
import BerthStore
import Foundation
import Glibc

/// WORKDIR, COPY and ADD: steps whose layer is written from files directly.
extension ImageBuilder {
    // MARK: WORKDIR

    func workdirStep(_ path: String, _ state: inout State) async throws {
        let key = BuildCacheKey(parent: state.record?.id, instruction: "WORKDIR \(path)")
        if let r = await cached(key) { return try reuse(r, &state) }
        state.cc.workingDir = path
        var layer: Descriptor?
        let layers = engine.layerDirectories(state.record)
        let exists = try await Blocking.run { () throws -> Bool in
            let view = try LayerView(layers: layers)
            guard let d = try view.directory(at: path) else { return false }
            d.close()
            return true
        }
        if !exists {
            let staging = engine.scratchPath("-workdir")
            try FileSystem.makeDirectory(staging, mode: 0o755)
            defer { FileSystem.removeTree(staging) }
            let lookup = parentStat(layers)
            try CopyStep.makeParents(of: path + "/x", staging: staging, owner: nil, parentStat: lookup)
            layer = try await engine.buildLayer(fromDirectory: staging, lease: lease)
        }
        try await commit(&state, layer: layer, createdBy: "/bin/sh -c #(nop) WORKDIR \(path)", key: key)
        say(" ---> \(state.record!.id.short)\n")
    }

    /// The stat of a path in the top-most layer that has it.
    nonisolated func parentStat(_ layers: [String]) -> @Sendable (String) -> stat? {
        { path in
            for l in layers {
                var st = stat()
                if lstat(l + path, &st) == 0 { return (st.st_mode & S_IFMT) == S_IFDIR ? st : nil }
            }
            return nil
        }
    }

    // MARK: COPY / ADD

    func copyStep(_ c: CopyCommand, _ ins: Instruction, add: Bool, _ state: inout State) async throws {
        let keyword = add ? "ADD" : "COPY"
        let x = expander(state)
        // Sources: the context, another stage or an image.
        var root = context.root
        var fromContext = true
        if let fromWord = c.from {
            let from = try x.expand(fromWord)
            fromContext = false
            if let s = file.stage(named: from), let built = stageImages[s.index] {
                root = try await materialize(built)
            } else if let n = Int(from) {
                throw EngineError(.invalid, "--from=\(n): no stage \(n) was built before this one")
            } else {
                root = try await materialize(try await image(from, pull: false))
            }
        }
        let tmp = engine.scratchPath("-copy")
        scratchDirs.append(tmp)
        try FileSystem.makeDirectory(tmp, mode: 0o700)
        var sources: [CopyStep.Source] = []
        var patterns: [String] = []
        for (i, h) in c.heredocs.enumerated() {
            let text = h.expand && h.content.contains("$") ? try x.expand(h.content) : h.content
            let path = "\(tmp)/heredoc-\(i)"
            try FileSystem.makeDirectory(path, mode: 0o755)
            guard FileManager.default.createFile(atPath: "\(path)/\(h.name)", contents: Data(text.utf8), attributes: [.posixPermissions: 0o644]) else {
                throw EngineError(.internalError, "cannot write the heredoc \(h.name)")
            }
            sources.append(CopyStep.Source(relative: h.name, host: "\(path)/\(h.name)"))
        }
        for s in c.sources {
            if add, s.hasPrefix("http://") || s.hasPrefix("https://") {
                sources.append(try await download(try x.expand(s), into: tmp))
            } else {
                patterns.append(try x.expand(s))
            }
        }
        let instructionName = keyword
        let fromContextCopy = fromContext
        let root0 = root
        let pats = patterns
        sources += try await Blocking.run { try CopyStep.expand(pats, root: root0, context: fromContextCopy, instruction: instructionName) }
        guard !sources.isEmpty else { throw EngineError(.invalid, "\(keyword) failed: no source files were specified") }
        let dest = CopyStep.destinationPath(try x.expand(c.destination), workdir: state.cc.workingDir ?? "/")
        let layers = engine.layerDirectories(state.record)
        let owner = try c.chown.map { try resolveOwner(try x.expand($0), layers: layers) }
        var mode: mode_t?
        if let m = c.chmod {
            guard let v = mode_t(try x.expand(m), radix: 8), v <= 0o7777 else { throw EngineError(.invalid, "invalid --chmod=\(m): give an octal mode such as 755") }
            mode = v
        }
        let srcs = sources
        let checksums = try await Blocking.run { CopyStep.checksums(srcs) }
        let key = BuildCacheKey(parent: state.record?.id, instruction: "\(keyword) \(Self.json(sources.map(\.relative))) \(dest) owner=\(owner.map { "\($0.uid):\($0.gid)" } ?? "") mode=\(mode.map { String($0, radix: 8) } ?? "")",
                                files: checksums)
        let summary = Digest.sha256(of: Array(checksums.joined(separator: "\n").utf8)).encoded
        let createdBy = "/bin/sh -c #(nop) \(keyword) \(CopyStep.historyKind(sources)):\(summary) in \(dest) "
        if let r = await cached(key) { return try reuse(r, &state) }
        let destIsDir = try await Blocking.run { () throws -> Bool in
            guard dest != "/" else { return true }
            let view = try LayerView(layers: layers)
            guard let d = try view.directory(at: dest) else { return false }
            d.close()
            return true
        }
        let staging = "\(tmp)/staging"
        try FileSystem.makeDirectory(staging, mode: 0o755)
        let lookup = parentStat(layers)
        let extract = add
        let fileMode = mode
        try await Blocking.run {
            let placed = try CopyStep.placements(srcs, destination: dest, isDirectory: { p in
                var st = stat()
                return stat(p, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
            }, destinationIsDirectory: destIsDir)
            for (s, target) in placed {
                // ADD of a local archive: its contents go into the destination directory.
                let unpack = extract && !s.host.hasPrefix(tmp) && CopyStep.isArchive(s.host)
                let into = dest.count > 1 && dest.hasSuffix("/") ? String(dest.dropLast()) : dest
                try CopyStep.stage(s, target: unpack ? into : target, staging: staging, owner: owner, mode: fileMode,
                                   extract: unpack, parentStat: lookup)
            }
        }
        let layer = try await engine.buildLayer(fromDirectory: staging, lease: lease)
        FileSystem.removeTree(tmp)
        try await commit(&state, layer: layer, createdBy: createdBy, key: key)
        say(" ---> \(state.record!.id.short)\n")
    }

    /// ADD <url>: the file, named after the URL's last element, mode 0600 as Docker makes it.
    func download(_ url: String, into dir: String) async throws -> CopyStep.Source {
        guard let u = URL(string: url) else { throw EngineError(.invalid, "ADD: invalid URL \(url)") }
        let name = u.lastPathComponent.isEmpty || u.lastPathComponent == "/" ? "download" : u.lastPathComponent
        let path = "\(dir)/url-\(UUID().uuidString)"
        try FileSystem.makeDirectory(path, mode: 0o755)
        try await fetch(u, to: "\(path)/\(name)")
        return CopyStep.Source(relative: name, host: "\(path)/\(name)")
    }

    /// GETs `url` (redirects followed) straight to a new file at `path`, mode 0600, never holding
    /// the body in memory; a status other than 2xx is an error. Like dockerd's classic builder,
    /// berthd fetches from the host's network: whatever the host reaches (loopback, link-local)
    /// an ADD reaches too — see docs/build.md.
    func fetch(_ url: URL, to path: String) async throws {
        do {
            try await engine.registry.download(url.absoluteString, to: path)
        } catch {
            throw EngineError(error.code == .io ? .internalError : .invalid, error.message)
        }
    }

    /// `--chown=user[:group]` against the image's /etc/passwd and /etc/group (numbers as they are).
    func resolveOwner(_ spec: String, layers: [String]) throws -> (uid: UInt32, gid: UInt32) {
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        func lookup(_ name: String, _ file: String) throws -> (UInt32, UInt32?) {
            if let n = UInt32(name) { return (n, nil) }
            for l in layers {
                guard let text = try? String(contentsOfFile: "\(l)/etc/\(file)", encoding: .utf8) else { continue }
                for line in text.split(separator: "\n") {
                    let f = line.split(separator: ":", omittingEmptySubsequences: false)
                    if f.count > 3, f[0] == name, let id = UInt32(f[2]) { return (id, file == "passwd" ? UInt32(f[3]) : nil) }
                }
                break
            }
            throw EngineError(.invalid, "unable to find \(file == "passwd" ? "user" : "group") \(name): no matching entries in /etc/\(file) of the image")
        }
        let (uid, primary) = try lookup(parts[0], "passwd")
        if parts.count == 2 { return (uid, try lookup(parts[1], "group").0) }
        return (uid, primary ?? uid)
    }

    /// An image's merged filesystem in a scratch directory, for COPY --from.
    func materialize(_ record: ImageRecord?) async throws -> String {
        let key = record?.id.description ?? "scratch"
        if let d = roots[key] { return d }
        let dir = engine.scratchPath("-root")
        try FileSystem.makeDirectory(dir, mode: 0o755)
        scratchDirs.append(dir)
        roots[key] = dir
        guard let record else { return dir }
        let layers = engine.layerDirectories(record)
        let tarPath = engine.scratchPath(".tar")
        defer { unlink(tarPath) }
        try await Blocking.run {
            let fd = open(tarPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw EngineError(.internalError, "cannot create \(tarPath)") }
            defer { close(fd) }
            let view = try LayerView(layers: layers)
            _ = try TarTreeWriter.write(to: fd) { tar in try Engine.export(view, view.root, prefix: "", into: tar) }
            lseek(fd, 0, SEEK_SET)
            let d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard d >= 0 else { throw EngineError(.internalError, "cannot open \(dir)") }
            defer { close(d) }
            try CopyArchive.extract(from: fd, into: d, options: CopyArchive.Options())
        }
        return dir
    }
}
