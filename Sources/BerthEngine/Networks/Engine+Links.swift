import BerthNetwork
import Foundation

/// Docker's legacy links (`--link name[:alias]`): the linking container finds the linked one
/// under its alias in /etc/hosts, and on the default bridge gets its address and exposed ports
/// in `<ALIAS>_PORT_…`, `<ALIAS>_NAME` and its environment in `<ALIAS>_ENV_…`. Resolved at
/// each start, from the linked container as it runs then.
extension Engine {
    /// A link resolved at start.
    struct ResolvedLink: Sendable {
        var alias: String
        var target: ContainerRecord
        var address: IPv4Address
        /// Legacy links set `<ALIAS>_…` variables; a network endpoint's links only name.
        var environment = true
    }

    /// `name:alias`, `name` or Docker's stored `/name:/linker/alias` → (name, alias).
    static func parseLink(_ link: String) throws(EngineError) -> (name: String, alias: String) {
        let p = link.split(separator: ":", maxSplits: 1).map { String($0.split(separator: "/").last ?? "") }
        guard let name = p.first, !name.isEmpty else { throw EngineError(.invalid, "invalid link \(link): use name[:alias]") }
        let alias = p.count > 1 && !p[1].isEmpty ? p[1] : name
        return (name, alias)
    }

    /// The links of `r`, each to a running container that shares a network with it.
    func resolveLinks(_ r: ContainerRecord) async throws -> [ResolvedLink] {
        let mine = Set((r.endpoints ?? [:]).values.filter { $0.interface != nil }.map(\.networkID))
        var out: [ResolvedLink] = []
        for link in r.hostConfig.Links ?? [] {
            let (name, alias) = try Self.parseLink(link)
            let target: ContainerRecord
            do { target = try await containers.find(name) } catch {
                throw EngineError(.notFound, "could not get container for \(name): no such container")
            }
            guard await events.isRunning(target.id) else {
                throw EngineError(.conflict, "Cannot link to a non running container: /\(target.name) AS /\(r.name)/\(alias)")
            }
            guard let shared = (target.endpoints ?? [:]).values.first(where: { mine.contains($0.networkID) && $0.interface != nil }),
                  let address = shared.interface?.address else {
                throw EngineError(.invalid, "Cannot link to /\(target.name), as it does not belong to the network of /\(r.name)")
            }
            // The variables are the default bridge's legacy; on a user network a link only names.
            let bridge = try? await networks.find(NetworkRecord.defaultBridgeName)
            out.append(ResolvedLink(alias: alias, target: target, address: address, environment: shared.networkID == bridge?.id))
        }
        // A network's links, as Docker's on user networks: a name for the linked container
        // while it runs there, nothing when it does not.
        for e in (r.endpoints ?? [:]).values where e.interface != nil {
            for link in e.links ?? [] {
                let (name, alias) = try Self.parseLink(link)
                guard let target = try? await containers.find(name), await events.isRunning(target.id),
                      let address = (target.endpoints ?? [:]).values.first(where: { $0.networkID == e.networkID })?.interface?.address
                else { continue }
                if !out.contains(where: { $0.alias == alias && $0.address == address }) {
                    out.append(ResolvedLink(alias: alias, target: target, address: address, environment: false))
                }
            }
        }
        return out
    }

    /// /etc/hosts lines: the alias, then the linked container's short id and name.
    static func linkHosts(_ links: [ResolvedLink]) -> String {
        links.map { l in
            var names = [l.alias]
            for n in [l.target.shortID, l.target.name] where !names.contains(n) { names.append(n) }
            return "\(l.address)\t\(names.joined(separator: " "))\n"
        }.joined()
    }

    /// Docker's link variables for the container named `linker`.
    static func linkEnvironment(_ links: [ResolvedLink], linker: String) -> [String] {
        var env: [String] = []
        for l in links where l.environment {
            let prefix = l.alias.uppercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
            let ports = (l.target.config.ExposedPorts ?? [:]).keys.compactMap { key -> (port: Int, proto: String)? in
                let p = key.split(separator: "/")
                return p.first.flatMap { Int($0) }.map { ($0, p.count > 1 ? String(p[1]) : "tcp") }
            }.sorted { ($0.port, $0.proto) < ($1.port, $1.proto) }
            if let first = ports.first { env.append("\(prefix)_PORT=\(first.proto)://\(l.address):\(first.port)") }
            for p in ports {
                let base = "\(prefix)_PORT_\(p.port)_\(p.proto.uppercased())"
                env += ["\(base)=\(p.proto)://\(l.address):\(p.port)", "\(base)_ADDR=\(l.address)", "\(base)_PORT=\(p.port)", "\(base)_PROTO=\(p.proto)"]
            }
            env.append("\(prefix)_NAME=/\(linker)/\(l.alias)")
            for e in l.target.config.Env ?? [] {
                let name = e.prefix { $0 != "=" }
                if ["HOME", "PATH", "HOSTNAME"].contains(name) { continue }
                env.append("\(prefix)_ENV_\(e)")
            }
        }
        return env
    }
}
