import BerthAPI
import BerthOCI
import BerthStore
import Foundation
import NIOCore

extension RegistryHandler {
    /// `GET`/`HEAD /v2/<name>/manifests/<reference>` with the media type it was pushed with. A GET counts as a pull.
    func getManifest(_ name: String, _ reference: String, isGet: Bool, _ writer: ResponseWriter) async throws -> Outcome {
        let stored = try storage.manifest(name, reference: reference)
        if isGet { await stats.recordPull(name, reference: reference) }
        try await writer.respond(status: 200, headers: [
            ("Content-Type", stored.mediaType), ("Docker-Content-Digest", stored.digest.description), ("ETag", "\"\(stored.digest)\""),
        ], body: ByteBuffer(bytes: stored.data))
        return Outcome(status: 200, bytes: isGet ? Int64(stored.data.count) : 0)
    }

    /// `PUT /v2/<name>/manifests/<reference>`: verified, stored, tagged (201).
    func putManifest(_ name: String, _ reference: String, _ request: HTTPRequest, _ body: RequestBody, _ writer: ResponseWriter) async throws -> Outcome {
        var data = Data()
        while let piece = try await body.next() {
            data.append(contentsOf: piece.readableBytesView)
            if data.count > ImageDocument.maxSize {
                throw RegistryError(.sizeInvalid, "manifest exceeds the \(ImageDocument.maxSize)-byte limit", status: 413)
            }
        }
        let payload = data
        let contentType = request.header("Content-Type")
        let storage = self.storage
        let (digest, subject) = try await Blocking.run { try storage.putManifest(name, reference: reference, data: payload, contentType: contentType) }
        await stats.recordPush(name, reference: reference)
        var headers = [("Location", "/v2/\(name)/manifests/\(digest)"), ("Docker-Content-Digest", digest.description)]
        if let subject { headers.append(("OCI-Subject", subject.description)) }
        return try await empty(writer, status: 201, headers: headers)
    }

    /// `DELETE /v2/<name>/manifests/<reference>`: a tag, or a manifest and its tags (202).
    func deleteManifest(_ name: String, _ reference: String, _ writer: ResponseWriter) async throws -> Outcome {
        try storage.deleteManifest(name, reference: reference)
        return try await empty(writer, status: 202, headers: [])
    }

    /// `GET /v2/<name>/tags/list[?n=&last=]`.
    func tags(_ name: String, _ request: HTTPRequest, _ writer: ResponseWriter) async throws -> Outcome {
        guard let all = storage.tags(name) else { throw RegistryError(.nameUnknown, "repository name not known to registry: \(name)") }
        let (page, link) = try paginate(all, request, path: "/v2/\(name)/tags/list")
        struct List: Encodable { var name: String; var tags: [String] }
        return try await json(writer, status: 200, try encode(List(name: name, tags: page)), headers: link.map { [("Link", $0)] } ?? [])
    }

    /// `GET /v2/_catalog[?n=&last=]`: repository names, at most 1000 a page.
    func catalog(_ request: HTTPRequest, _ writer: ResponseWriter) async throws -> Outcome {
        let storage = self.storage
        let all = try await Blocking.run { storage.repositories() }
        let (page, link) = try paginate(all, request, path: "/v2/_catalog", defaultLimit: Self.pageLimit)
        struct List: Encodable { var repositories: [String] }
        return try await json(writer, status: 200, try encode(List(repositories: page)), headers: link.map { [("Link", $0)] } ?? [])
    }

    /// `GET /v2/<name>/referrers/<digest>[?artifactType=]`: an OCI index of the manifests whose subject is `digest`.
    func referrers(_ name: String, _ digest: Digest, _ request: HTTPRequest, _ writer: ResponseWriter) async throws -> Outcome {
        let artifactType = request.queryValue("artifactType")
        let index = Index(manifests: storage.referrers(name, of: digest, artifactType: artifactType))
        return try await json(writer, status: 200, try encode(index), headers: artifactType == nil ? [] : [("OCI-Filters-Applied", "artifactType")],
                              contentType: MediaType.ociIndex)
    }

    /// The most entries one page of `_catalog` holds, whatever `n` asks (distribution's cap).
    static let pageLimit = 1000

    /// Entries after `last`, at most `n` (and at most `defaultLimit` when there is one); a
    /// `Link: <...>; rel="next"` when more remain.
    func paginate(_ all: [String], _ request: HTTPRequest, path: String, defaultLimit: Int? = nil) throws -> ([String], String?) {
        try Self.page(all, last: request.queryValue("last"), n: request.queryValue("n"), path: path, defaultLimit: defaultLimit)
    }

    /// `paginate` on the query's `last` and `n`.
    static func page(_ all: [String], last: String?, n: String?, path: String, defaultLimit: Int?) throws(RegistryError) -> ([String], String?) {
        var rest = all
        if let last { rest = rest.filter { $0 > last } }
        var limit = defaultLimit
        if let n {
            guard let value = Int(n), value >= 0 else { throw RegistryError(.unsupported, "invalid n \(n)", status: 400) }
            limit = defaultLimit.map { min(value, $0) } ?? value
        }
        guard let limit, rest.count > limit else { return (rest, nil) }
        let page = Array(rest.prefix(limit))
        guard let lastEntry = page.last else { return (page, nil) }
        let encoded = lastEntry.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+"))) ?? lastEntry
        return (page, "<\(path)?n=\(limit)&last=\(encoded)>; rel=\"next\"")
    }

    func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return try encoder.encode(value)
    }
}
