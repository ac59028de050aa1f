import BerthNetwork
import BerthStore
import Foundation

/// The networks under `<data root>/networks` (one JSON file each) and the address pool of each
/// bridge network. Pools live only in memory: addresses are recorded with the containers that
/// hold them and claimed again when berthd starts.
public actor NetworkStore {
    let root: String
    private var records: [String: NetworkRecord] = [:]
    private var pools: [String: AddressPool] = [:]

    init(root: String, options: NetworkOptions) throws {
        self.root = root
        try FileSystem.makeDirectory(root)
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        var loaded: [String: NetworkRecord] = [:]
        for file in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] where file.hasSuffix(".json") {
            guard let data = FileManager.default.contents(atPath: "\(root)/\(file)"),
                  let r = try? d.decode(NetworkRecord.self, from: data) else { continue }
            loaded[r.id] = r
        }
        for r in try Self.builtIns(loaded, options) {
            try Self.write(r, root: root)
            loaded[r.id] = r
        }
        records = loaded
        pools = loaded.compactMapValues(Self.pool)
    }

    /// `bridge`, `host` and `none` exist from the first start, with ids that stay; the default
    /// bridge follows berthd's flags. Returns the records to write.
    private static func builtIns(_ records: [String: NetworkRecord], _ o: NetworkOptions) throws -> [NetworkRecord] {
        func named(_ n: String) -> NetworkRecord? { records.values.first { $0.name == n } }
        var out: [NetworkRecord] = []
        for (name, driver) in [("none", "null"), ("host", "host")] where named(name) == nil {
            out.append(NetworkRecord(id: newID(), name: name, driver: driver, created: Date()))
        }
        var bridge = named(NetworkRecord.defaultBridgeName)
            ?? NetworkRecord(id: newID(), name: NetworkRecord.defaultBridgeName, driver: "bridge", created: Date())
        let subnet = o.bridgeName == nil ? nil : o.bridgeSubnet
        if bridge.bridge != o.bridgeName || bridge.subnet != subnet || bridge.mtu != o.mtu || named(bridge.name) == nil {
            bridge.bridge = o.bridgeName
            bridge.subnet = subnet
            bridge.gateway = subnet?.firstHost
            bridge.mtu = o.mtu
            bridge.options = o.bridgeName.map {
                ["com.docker.network.bridge.default_bridge": "true", "com.docker.network.bridge.enable_icc": "true",
                 "com.docker.network.bridge.enable_ip_masquerade": "true", "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
                 "com.docker.network.bridge.name": $0, "com.docker.network.driver.mtu": "\(o.mtu)"]
            } ?? [:]
            out.append(bridge)
        }
        return out
    }

    private static func pool(_ r: NetworkRecord) -> AddressPool? {
        guard r.isBridge, let s = r.subnet, let g = r.gateway else { return nil }
        return AddressPool(subnet: s, gateway: g, range: r.ipRange, reserved: Set((r.auxAddresses ?? [:]).values))
    }

    static func newID() -> String {
        (0..<4).map { _ in String(format: "%016llx", UInt64.random(in: 0...UInt64.max)) }.joined()
    }

    private func save(_ r: NetworkRecord) throws {
        try Self.write(r, root: root)
        records[r.id] = r
    }

    private static func write(_ r: NetworkRecord, root: String) throws {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.dateEncodingStrategy = .iso8601
        try FileSystem.writeAtomically(try e.encode(r), to: "\(root)/\(r.id).json")
    }

    private func byName(_ name: String) -> NetworkRecord? { records.values.first { $0.name == name } }

    public func all() -> [NetworkRecord] { records.values.sorted { $0.created < $1.created } }

    /// Docker's lookup: full id, then name, then a unique id prefix.
    public func find(_ ref: String) throws(EngineError) -> NetworkRecord {
        if let r = records[ref] { return r }
        if let r = byName(ref) { return r }
        let matches = ref.isEmpty ? [] : records.values.filter { $0.id.hasPrefix(ref) }
        if matches.count == 1 { return matches[0] }
        if matches.count > 1 { throw EngineError(.notFound, "network \(ref) is ambiguous (\(matches.count) matches found based on ID prefix)") }
        throw EngineError(.notFound, "network \(ref) not found")
    }

    /// Adds a user network; `subnet` nil picks a free one. Refuses a taken name or an
    /// overlapping subnet.
    func create(_ r: NetworkRecord, avoiding hostRoutes: [IPv4Subnet]) throws -> NetworkRecord {
        if byName(r.name) != nil { throw EngineError(.conflict, "network with name \(r.name) already exists") }
        var n = r
        let taken = records.values.compactMap(\.subnet)
        if let s = n.subnet {
            if let other = records.values.first(where: { $0.subnet.map { $0.overlaps(s) } ?? false }) {
                throw EngineError(.invalid, "invalid pool request: Pool overlaps with other one on this address space (\(s) overlaps \(other.name)'s \(other.subnet?.description ?? ""))")
            }
        } else {
            guard let s = Self.candidateSubnets.first(where: { c in !(taken + hostRoutes).contains { $0.overlaps(c) } }) else {
                throw EngineError(.unavailable, "all predefined address pools have been fully subnetted: give the network a --subnet")
            }
            n.subnet = s
        }
        if n.gateway == nil, let s = n.subnet { n.gateway = s.firstHost }
        if let s = n.subnet, let g = n.gateway, !s.isHost(g) {
            throw EngineError(.invalid, "no matching subnet for gateway \(g) (the subnet is \(s))")
        }
        if n.bridge == nil { n.bridge = "br-\(n.shortID)" }
        try save(n)
        pools[n.id] = Self.pool(n)
        return n
    }

    /// User networks get these in turn (not docker's 172.17–172.28, so both daemons can share a
    /// host), skipping any that overlap a network or a route the host already has.
    static let candidateSubnets: [IPv4Subnet] =
        [30, 31].compactMap { IPv4Subnet("172.\($0).0.0/16") } + stride(from: 0, to: 256, by: 16).compactMap { IPv4Subnet("192.168.\($0).0/20") }

    func remove(_ id: String) {
        records[id] = nil
        pools[id] = nil
        unlink("\(root)/\(id).json")
    }

    /// An address on `network` for a container (`wanted`: its `--ip`).
    func allocate(on network: String, _ wanted: IPv4Address?) throws -> IPv4Address {
        guard var pool = pools[network] else { throw EngineError(.invalid, "network \(network) has no address pool") }
        defer { pools[network] = pool }
        do { return try pool.allocate(wanted) } catch { throw EngineError.from(error) }
    }

    func release(_ a: IPv4Address, on network: String) { pools[network]?.release(a) }

    /// Takes back an address a running container held when berthd stopped.
    func claim(_ a: IPv4Address, on network: String) { pools[network]?.claim(a) }
}
