import Foundation

extension RepositorySession {
    /// Every repository of the registry (`GET /v2/_catalog`, following `Link` pages). Make the
    /// session with an empty repository and the `catalog` action, so a token asks for `registry:catalog:*`.
    public func catalog() async throws -> [String] {
        var out: [String] = []
        var next: String? = "/v2/_catalog?n=1000"
        var pages = 0
        while let target = next, pages < 1000 {
            pages += 1
            let resp = try await send(.GET, target)
            guard resp.status == .ok else { throw await failure(resp, "list the repositories of \(endpoint.host)") }
            struct Page: Decodable { var repositories: [String]? }
            let body = try await resp.body.collect(upTo: 16 << 20)
            out += (try? JSONDecoder().decode(Page.self, from: Data(buffer: body)))?.repositories ?? []
            next = resp.headers.first(name: "Link").flatMap(Self.nextLink)
        }
        return out
    }
}
