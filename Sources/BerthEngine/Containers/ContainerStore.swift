import BerthRuntime
import BerthStore
import Foundation

/// Container records, one directory each under `containers/`, with Docker's naming rules.
public actor ContainerStore {
    let root: String
    var records: [String: ContainerRecord] = [:]

    init(root: String) throws {
        self.root = root
        try FileSystem.makeDirectory(root)
        FileSystem.spreadSubdirectories(root)
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        for id in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
            guard let data = FileManager.default.contents(atPath: "\(root)/\(id)/config.json"),
                  let r = try? d.decode(ContainerRecord.self, from: data) else { continue }
            records[id] = r
        }
    }

    /// The container's directory (the shim's bundle).
    public nonisolated func bundle(_ id: String) -> String { "\(root)/\(id)" }

    func save(_ r: ContainerRecord) throws {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.dateEncodingStrategy = .iso8601
        // 0600 as dockerd's config.v2.json: the environment may hold secrets.
        try FileSystem.writeAtomically(try e.encode(r), to: "\(bundle(r.id))/config.json", mode: 0o600)
        records[r.id] = r
    }

    /// Docker's conflict when `name` is taken.
    func checkNameFree(_ name: String) throws(EngineError) {
        if let other = records.values.first(where: { $0.name == name }) {
            throw EngineError(.conflict, "Conflict. The container name \"/\(name)\" is already in use by container \"\(other.id)\". You have to remove (or rename) that container to be able to reuse that name.")
        }
    }

    /// Adds a new container, refusing a taken name.
    func insert(_ r: ContainerRecord) throws {
        try checkNameFree(r.name)
        try FileSystem.makeDirectory(bundle(r.id))
        try save(r)
    }

    func update(_ id: String, _ change: (inout ContainerRecord) -> Void) throws -> ContainerRecord {
        guard var r = records[id] else { throw EngineError(.notFound, "No such container: \(id)") }
        change(&r)
        try save(r)
        return r
    }

    /// Changes a record in memory and writes it only when `change` says so: health results
    /// that leave the status as it was stay in memory, as Docker keeps them.
    func change(_ id: String, _ change: (inout ContainerRecord) -> Bool) throws {
        guard var r = records[id] else { throw EngineError(.notFound, "No such container: \(id)") }
        let persist = change(&r)
        if persist { try save(r) } else { records[id] = r }
    }

    func remove(_ id: String) {
        records[id] = nil
        FileSystem.removeTree(bundle(id))
    }

    public func all() -> [ContainerRecord] { Array(records.values) }

    /// Docker's lookup: full id, name (with or without `/`), then a unique id prefix.
    public func find(_ ref: String) throws(EngineError) -> ContainerRecord {
        if let r = records[ref] { return r }
        let name = ref.hasPrefix("/") ? String(ref.dropFirst()) : ref
        if let r = records.values.first(where: { $0.name == name }) { return r }
        let matches = ref.isEmpty ? [] : records.values.filter { $0.id.hasPrefix(ref) }
        if matches.count == 1 { return matches[0] }
        if matches.count > 1 { throw EngineError(.notFound, "Multiple IDs found with provided prefix: \(ref)") }
        throw EngineError(.notFound, "No such container: \(ref)")
    }

    func isNameTaken(_ name: String) -> Bool { records.values.contains { $0.name == name } }

    func rename(_ id: String, to name: String) throws {
        if let other = records.values.first(where: { $0.name == name }), other.id != id {
            throw EngineError(.conflict, "Conflict. The container name \"/\(name)\" is already in use by container \"\(other.id)\". You have to remove (or rename) that container to be able to reuse that name.")
        }
        _ = try update(id) { $0.name = name }
    }
}
