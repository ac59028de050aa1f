import BerthArchive
import BerthDockerfile
import BerthOCI
import BerthStore
import Foundation
import Glibc
import Synchronization

/// `RUN --mount`: what each mount type becomes for the step's container.
extension ImageBuilder {
    /// A RUN step's mounts, resolved: HostConfig binds and tmpfs, secret environment
    /// variables, and the host files made for the step (removed once it ends).
    struct StepMounts {
        var binds: [String] = []
        var tmpfs: [String: String] = [:]
        /// `NAME=value` from `type=secret,env=NAME`.
        var secretEnv: [String] = []
        /// Scratch files and directories of this step (secret files, rw bind copies).
        var scratch: [String] = []
        /// Where the mounts appear in the container (their stubs leave the layer).
        var targets: [String] = []
        /// Named cache directories held for the step (`sharing=locked`, and `private` ones it got).
        var lockedCaches: [String] = []
        /// `sharing=private` caches, bound once the step knows whether another step holds them.
        var privateCaches: [PrivateCache] = []
        /// Every cache directory the step uses, counted in `cachesInUse` until it ends.
        var caches: [String] = []

        /// Its scratch removed and its caches no longer counted as in use.
        func removeScratch() {
            for p in scratch { FileSystem.removeTree(p) }
            ImageBuilder.cachesInUse.withLock { inUse in
                for dir in caches {
                    inUse[dir, default: 1] -= 1
                    if inUse[dir] == 0 { inUse[dir] = nil }
                }
            }
        }
    }

    /// A `sharing=private` cache mount: its directory when free, else one of the step's own.
    struct PrivateCache {
        var dir: String, target: String, readOnly: Bool, mode: mode_t, uid: UInt32, gid: UInt32
    }

    /// The options each mount type takes beyond type, target and id; any other is refused by name.
    static let mountOptions: [RunMount.Kind: Set<String>] = [
        .bind: [], .cache: ["mode", "uid", "gid"], .tmpfs: ["size"], .secret: ["mode", "uid", "gid", "required", "env"],
    ]

    func stepMounts(_ mounts: [RunMount], _ state: State) async throws -> StepMounts {
        var out = StepMounts()
        do {
            for m in mounts { try await add(m, state, to: &out) }
        } catch {
            out.removeScratch()
            throw error
        }
        // Taken in one order, so two steps locking the same caches cannot wait on each other;
        // private ones after, without waiting (so they add no wait to that order).
        out.lockedCaches = Set(out.lockedCaches).sorted()
        for dir in out.lockedCaches { await Self.cacheLocks.lock(dir) }
        do {
            for p in out.privateCaches {
                var source = p.dir
                if !out.lockedCaches.contains(p.dir) {
                    if await Self.cacheLocks.tryLock(p.dir) {
                        out.lockedCaches.append(p.dir)
                    } else {
                        // Another step holds it: this one gets an empty cache of its own, dropped after it.
                        source = engine.scratchPath("-cache")
                        out.scratch.append(source)
                        try makeOwned(directory: source, mode: p.mode, uid: p.uid, gid: p.gid)
                    }
                }
                out.binds.append("\(source):\(p.target)\(p.readOnly ? ":ro" : "")")
            }
        } catch {
            await release(out)
            throw error
        }
        return out
    }

    /// Ends a step's mounts: its scratch files removed, its locked caches released.
    func release(_ mounts: StepMounts) async {
        mounts.removeScratch()
        for dir in mounts.lockedCaches { await Self.cacheLocks.unlock(dir) }
    }

    /// Cache directories mounted with `sharing=locked`, one step at a time (across builds).
    static let cacheLocks = KeyedLock()
    /// Cache directories steps are using (from before the directory is made until the step
    /// ends), with how many steps: `builder prune` leaves them.
    static let cachesInUse = Mutex<[String: Int]>([:])

    func add(_ m: RunMount, _ state: State, to out: inout StepMounts) async throws {
        let spec = "--mount=type=\(m.kind.rawValue)"
        if m.kind == .ssh {
            throw EngineError(.invalid, "\(spec) is not supported by berth's builder (it has no ssh agent forwarding); fetch private sources before the build, or pass a deploy key with --mount=type=secret")
        }
        for key in m.options.keys.sorted() where !(Self.mountOptions[m.kind] ?? []).contains(key) {
            throw EngineError(.invalid, "\(spec): the option \(key) does not apply to a \(m.kind.rawValue) mount; remove it")
        }
        let target = m.target.isEmpty ? "" : (m.target.hasPrefix("/") ? CopyPath.clean(m.target) : CopyPath.join(state.cc.workingDir ?? "/", m.target))
        if !target.isEmpty { out.targets.append(target) }
        switch m.kind {
        case .cache:
            // from= (a stage or image) and source= (a path in it): what a new cache starts with;
            // as in BuildKit, another base is another cache.
            var id = m.id ?? target
            var seed: String?
            if let from = m.from {
                let base = try await mountBase(from)
                seed = try CopyStep.resolveBeneath(base.root, m.source ?? "/", refuseEscape: false, instruction: "RUN --mount", original: m.source ?? "/")
                id += "\u{0}from=\(base.id)\u{0}source=\(m.source ?? "/")"
            } else if m.source != nil {
                throw EngineError(.invalid, "\(spec): source is a path in from=; give from=STAGE_OR_IMAGE too, or drop source")
            }
            let dir = "\(engine.dataRoot)/build-mounts/\(Digest.sha256(of: Array(id.utf8)).encoded)"
            Self.cachesInUse.withLock { $0[dir, default: 0] += 1 }
            out.caches.append(dir)
            try FileSystem.makeDirectory("\(engine.dataRoot)/build-mounts", mode: 0o700)
            let mode = try octal(m.options["mode"], "mode", default: 0o755)
            let uid = try numericID(m.options["uid"], "uid"), gid = try numericID(m.options["gid"], "gid")
            if !FileSystem.exists(dir) {
                try makeOwned(directory: dir, mode: mode, uid: uid, gid: gid)
                if let seed {
                    try await Blocking.run {
                        var st = stat()
                        guard stat(seed, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
                            FileSystem.removeTree(dir)
                            throw EngineError(.invalid, "\(spec): source \(m.source ?? "/") is not a directory in \(m.from ?? "")")
                        }
                        try CopyStep.copyTree(seed, dir, uid: uid, gid: gid, mode: nil)
                    }
                }
            }
            utimes(dir, nil) // last used, for `builder prune --filter until=`
            switch m.sharing {
            case "private":
                out.privateCaches.append(PrivateCache(dir: dir, target: target, readOnly: m.readOnly, mode: mode, uid: uid, gid: gid))
            case "locked":
                out.lockedCaches.append(dir)
                fallthrough
            default:
                out.binds.append("\(dir):\(target)\(m.readOnly ? ":ro" : "")")
            }
        case .bind:
            var root = context.root
            if let from = m.from { root = try await mountBase(from).root }
            // An image's absolute links (/usr/bin/java -> /etc/alternatives/java) resolve inside
            // it, as BuildKit's; only the build context refuses a way out.
            let source = try CopyStep.resolveBeneath(root, m.source ?? ".", refuseEscape: m.from == nil, instruction: "RUN --mount", original: m.source ?? ".")
            if m.readOnly {
                out.binds.append("\(source):\(target):ro")
            } else {
                // rw, as in Docker: the step may write, its writes are discarded (a copy).
                let copy = engine.scratchPath("-bind")
                out.scratch.append(copy)
                try await Blocking.run {
                    var st = stat()
                    guard lstat(source, &st) == 0 else { throw EngineError(.invalid, "\(spec): source \(m.source ?? ".") does not exist") }
                    if (st.st_mode & S_IFMT) == S_IFDIR {
                        try FileSystem.makeDirectory(copy, mode: Int(st.st_mode & 0o7777))
                        try CopyStep.copyTree(source, copy, uid: 0, gid: 0, mode: nil)
                    } else {
                        try CopyStep.copyEntry(source, copy, st, uid: 0, gid: 0, mode: nil)
                    }
                }
                out.binds.append("\(copy):\(target)")
            }
        case .tmpfs:
            var opts = ["mode=1777"]
            if let size = m.options["size"] { opts.append("size=\(try Engine.parseSize(size, option: "\(spec),size"))") }
            guard m.readOnly == false else { throw EngineError(.invalid, "\(spec): a tmpfs mount cannot be read-only; remove ro") }
            out.tmpfs[target] = opts.joined(separator: ",")
        case .secret:
            guard m.readOnly else { throw EngineError(.invalid, "\(spec): a secret mount is read-only; remove rw") }
            let id = m.id ?? ""
            let required = try flag(m.options["required"], "required")
            guard let value = options.secrets[id] else {
                if required {
                    throw EngineError(.invalid, "secret \(id) not provided: pass --secret id=\(id),src=PATH (or env=VARIABLE) to berth build")
                }
                say("[Warning] secret \(id) not provided, so the step runs without it: pass --secret id=\(id),src=PATH (or env=VARIABLE) to berth build\n")
                if !target.isEmpty { out.targets.removeLast() }
                return
            }
            if let name = m.options["env"] {
                guard !name.isEmpty, !name.contains("=") else { throw EngineError(.invalid, "\(spec): env=\(name) is not a variable name") }
                out.secretEnv.append("\(name)=\(String(decoding: value, as: UTF8.self))")
            }
            guard !target.isEmpty else { return }
            let mode = try octal(m.options["mode"], "mode", default: 0o400)
            let uid = try numericID(m.options["uid"], "uid"), gid = try numericID(m.options["gid"], "gid")
            let dir = engine.secretScratchPath()
            out.scratch.append(dir)
            try FileSystem.makeDirectory(dir, mode: 0o700)
            let path = "\(dir)/secret"
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
            guard fd >= 0 else { throw EngineError(.internalError, "cannot write the secret \(id): \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            let written = value.withUnsafeBytes { write(fd, $0.baseAddress, value.count) }
            guard written == value.count, fchown(fd, uid, gid) == 0, fchmod(fd, mode) == 0 else {
                throw EngineError(.internalError, "cannot write the secret \(id): \(String(cString: strerror(errno)))")
            }
            out.binds.append("\(path):\(target):ro")
        case .ssh:
            break
        }
    }

    /// The files of a mount's `from=`: an earlier stage's image, or an image (pulled if missing).
    func mountBase(_ from: String) async throws -> (root: String, id: String) {
        let record: ImageRecord?
        if let s = file.stage(named: from), let built = stageImages[s.index] {
            record = built
        } else {
            record = try await image(from, pull: false)
        }
        return (try await materialize(record), record?.id.description ?? "scratch")
    }

    /// What bind mounts bring into a step, for its cache key: the checksums of the context
    /// files a bind shows, the image a `from=` names.
    func bindInputs(_ mounts: [RunMount]) async throws -> [String] {
        var out: [String] = []
        for m in mounts where m.kind == .bind {
            if let from = m.from {
                let id: String
                if let s = file.stage(named: from), let built = stageImages[s.index] {
                    id = built?.id.description ?? "scratch"
                } else {
                    id = try await image(from, pull: false).id.description
                }
                out.append("bind \(m.target) from \(id)")
            } else {
                let source = try CopyStep.resolveBeneath(context.root, m.source ?? ".", refuseEscape: true, instruction: "RUN --mount", original: m.source ?? ".")
                out.append("bind \(m.target)")
                out += CopyStep.checksums([CopyStep.Source(relative: m.source ?? ".", host: source)])
            }
        }
        return out
    }

    func octal(_ raw: String?, _ key: String, default value: mode_t) throws -> mode_t {
        guard let raw else { return value }
        guard let m = mode_t(raw, radix: 8), m <= 0o7777 else { throw EngineError(.invalid, "--mount: mode=\(raw) is not an octal file mode like 0755") }
        return m
    }

    func numericID(_ raw: String?, _ key: String) throws -> UInt32 {
        guard let raw else { return 0 }
        guard let n = UInt32(raw) else { throw EngineError(.invalid, "--mount: \(key)=\(raw) is not a numeric id") }
        return n
    }

    func flag(_ raw: String?, _ key: String) throws -> Bool {
        switch raw?.lowercased() {
        case nil, "false", "0": return false
        case "true", "1": return true
        default: throw EngineError(.invalid, "--mount: \(key)=\(raw ?? "") must be true or false")
        }
    }

    func makeOwned(directory: String, mode: mode_t, uid: UInt32, gid: UInt32) throws {
        guard mkdir(directory, 0o700) == 0 || errno == EEXIST else {
            throw EngineError(.internalError, "mkdir \(directory): \(String(cString: strerror(errno)))")
        }
        guard chown(directory, uid, gid) == 0, chmod(directory, mode) == 0 else {
            throw EngineError(.internalError, "set owner of \(directory): \(String(cString: strerror(errno)))")
        }
    }
}
