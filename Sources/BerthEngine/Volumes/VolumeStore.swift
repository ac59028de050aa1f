import BerthStore
import Foundation
import Glibc

/// The local volumes under `<data root>/volumes`, and which containers use each.
///
/// A volume appears whole: it is made in `.tmp-<uuid>` (with `_data` and `volume.json`) and
/// renamed to its name; it leaves by a rename to `.trash-<uuid>`, deleted after. Neither prefix
/// can start a volume name, so what a crash leaves is recognisable and cleared at the next start.
/// Users are tracked here, in the same actor as creation and removal, so a volume cannot be
/// removed between a container naming it and the container being recorded.
public actor VolumeStore {
    public nonisolated let root: String
    private var volumes: [String: Volume] = [:]
    /// Volume name → ids of the containers whose mounts name it.
    private var users: [String: Set<String>] = [:]
    /// Volumes being filled from an image, and who waits to fill them next.
    private var filling: Set<String> = []
    private var fillWaiters: [String: [CheckedContinuation<Void, Never>]] = [:]

    init(root: String) throws {
        self.root = root
        try FileSystem.makeDirectory(root)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        for name in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
            if name.hasPrefix(".tmp-") || name.hasPrefix(".trash-") {
                FileSystem.removeTree("\(root)/\(name)")
                continue
            }
            guard let data = FileManager.default.contents(atPath: "\(root)/\(name)/volume.json"),
                  let v = try? decoder.decode(Volume.self, from: data), v.name == name else { continue }
            volumes[name] = v
        }
    }

    /// The directory a volume's files live in (what containers mount).
    public nonisolated func dataPath(_ name: String) -> String { "\(root)/\(name)/_data" }

    /// Creates the volume `name` (a fresh 64-hex name when nil, labelled anonymous), or returns
    /// it unchanged when it exists, as Docker does.
    func create(_ name: String?, labels: [String: String]?, anonymous: Bool = false) throws -> Volume {
        if let name, let existing = volumes[name] { return existing }
        let n = name ?? Volume.anonymousName()
        try Volume.validate(n)
        var l = labels
        if anonymous { l = (labels ?? [:]).merging([Volume.anonymousLabel: ""]) { a, _ in a } }
        let v = Volume(name: n, driver: Volume.localDriver, labels: l, options: nil, created: Date())
        let tmp = "\(root)/.tmp-\(UUID().uuidString)"
        do {
            try FileSystem.makeDirectory("\(tmp)/_data", mode: 0o755)
            let e = JSONEncoder()
            e.outputFormatting = [.sortedKeys]
            e.dateEncodingStrategy = .iso8601
            try FileSystem.writeAtomically(try e.encode(v), to: "\(tmp)/volume.json")
            guard rename(tmp, "\(root)/\(n)") == 0 else {
                throw EngineError(.internalError, "create \(n): cannot move the new volume into place: \(String(cString: strerror(errno)))")
            }
            try FileSystem.syncDirectory(root)
        } catch {
            FileSystem.removeTree(tmp)
            throw EngineError.from(error)
        }
        volumes[n] = v
        return v
    }

    /// `create`, and records `container` as a user so the volume cannot be removed under it.
    func acquire(_ name: String?, labels: [String: String]?, anonymous: Bool, by container: String) throws -> Volume {
        let v = try create(name, labels: labels, anonymous: anonymous)
        users[v.name, default: []].insert(container)
        return v
    }

    /// `container` no longer uses `name`.
    func release(_ name: String, by container: String) {
        users[name]?.remove(container)
        if users[name]?.isEmpty == true { users[name] = nil }
    }

    /// Records the users found in container records at startup.
    func adopt(_ uses: [(volume: String, container: String)]) {
        for u in uses { users[u.volume, default: []].insert(u.container) }
    }

    public func get(_ name: String) throws(EngineError) -> Volume {
        guard let v = volumes[name] else { throw EngineError(.notFound, "get \(name): no such volume") }
        return v
    }

    /// Every volume, by name.
    public func all() -> [Volume] { volumes.values.sorted { $0.name < $1.name } }

    /// The ids of the containers using `name`, sorted.
    public func users(of name: String) -> [String] { (users[name] ?? []).sorted() }

    /// Waits until no one else fills `name` from an image, then claims it.
    func lockFill(_ name: String) async {
        guard filling.insert(name).inserted else {
            // `unlockFill` hands the claim over without releasing it.
            await withCheckedContinuation { fillWaiters[name, default: []].append($0) }
            return
        }
    }

    func unlockFill(_ name: String) {
        if var waiters = fillWaiters[name], !waiters.isEmpty {
            let next = waiters.removeFirst()
            fillWaiters[name] = waiters.isEmpty ? nil : waiters
            next.resume()
        } else {
            filling.remove(name)
        }
    }

    /// Takes the volume out of the store and returns the directory to delete (outside the
    /// actor: it can be large). Refused while a container, running or not, uses it; `force`
    /// only makes a missing volume no error, as in Docker.
    func remove(_ name: String, force: Bool) throws -> String? {
        guard volumes[name] != nil else {
            if force { return nil }
            throw EngineError(.notFound, "get \(name): no such volume")
        }
        let using = users(of: name)
        guard using.isEmpty else {
            throw EngineError(.conflict, "remove \(name): volume is in use - [\(using.joined(separator: ", "))]")
        }
        let trash = "\(root)/.trash-\(UUID().uuidString)"
        guard rename("\(root)/\(name)", trash) == 0 else {
            throw EngineError(.internalError, "remove \(name): \(String(cString: strerror(errno)))")
        }
        volumes[name] = nil
        return trash
    }
}
