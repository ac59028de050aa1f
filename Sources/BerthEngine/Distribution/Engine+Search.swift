import BerthOCI
import BerthRegistry

extension Engine {
    /// One hit of `docker search`, in the fields of the Engine API's `/images/search`.
    public struct SearchResult: Sendable, Equatable {
        public var name: String
        public var description = ""
        public var starCount = 0
        public var isOfficial = false
        public var isAutomated = false
    }

    /// Searches the registry a term names (`HOST[:PORT]/TERM`; a bare term means Docker Hub) by
    /// listing its `_catalog` and keeping the repositories whose name contains the term.
    ///
    /// Docker Hub has no catalog, and its `/v1/search` is a Hub-only service berth does not speak.
    public func search(_ term: String, limit: Int, credentials: RegistryCredentials?) async throws -> [SearchResult] {
        let (domain, text) = Self.splitSearchTerm(term)
        guard domain != Reference.defaultDomain else {
            throw EngineError(.unavailable, "searching Docker Hub is not supported by berth; search a registry that serves /v2/_catalog with HOST:PORT/TERM (e.g. berth search 127.0.0.1:5000/\(text))")
        }
        let session = try await registry.session(domain: domain, repository: "", credentials: credentials, actions: ["catalog"])
        let needle = text.lowercased()
        let names = try await session.catalog().filter { needle.isEmpty || $0.lowercased().contains(needle) }
        return names.prefix(limit).map { SearchResult(name: "\(domain)/\($0)") }
    }

    /// `localhost:5000/busy` → (`localhost:5000`, `busy`); `busy` → (`docker.io`, `busy`).
    static func splitSearchTerm(_ term: String) -> (domain: String, text: String) {
        guard let slash = term.firstIndex(of: "/") else { return (Reference.defaultDomain, term) }
        let head = String(term[..<slash])
        guard head.contains(".") || head.contains(":") || head == "localhost" else { return (Reference.defaultDomain, term) }
        return (head == "index.docker.io" ? Reference.defaultDomain : head, String(term[term.index(after: slash)...]))
    }
}
