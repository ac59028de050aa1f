import AsyncHTTPClient
import BerthOCI
import Foundation
import NIOCore

/// A manifest or index as the registry sent it, with the digest of its bytes.
public struct FetchedDocument: Sendable {
    public let data: Data
    /// From `Content-Type`, without parameters.
    public let mediaType: String
    public let digest: Digest
}

extension RepositorySession {
    /// Every document type berth reads, as Accept asks for them.
    static let acceptedDocuments = [MediaType.ociIndex, MediaType.dockerManifestList, MediaType.ociManifest, MediaType.dockerManifest]

    /// Fetches the manifest or index named by a tag or a digest. The bytes must hash to the
    /// digest asked for (or the one the registry declares) and stay within
    /// `ImageDocument.maxSize`; anything else is refused before it is used.
    public func manifest(_ reference: String) async throws -> FetchedDocument {
        let wanted = try? Digest(parsing: reference)
        let display = wanted != nil ? "\(name)@\(reference)" : "\(name):\(reference)"
        let resp = try await send(.GET, "/v2/\(repository)/manifests/\(reference)",
                                  headers: Self.acceptedDocuments.map { ("Accept", $0) })
        guard resp.status == .ok else {
            if resp.status == .notFound {
                throw RegistryError(.notFound, "manifest for \(display) not found: \(await errorText(resp))")
            }
            throw await failure(resp, "manifest for \(display)")
        }
        if let length = resp.headers.first(name: "Content-Length").flatMap(Int.init), length > ImageDocument.maxSize {
            throw RegistryError(.invalid, "manifest for \(display) from \(endpoint.host) is \(length) bytes, more than the \(ImageDocument.maxSize)-byte limit; refusing it")
        }
        let body: ByteBuffer
        do { body = try await resp.body.collect(upTo: ImageDocument.maxSize) } catch is NIOTooManyBytesError {
            throw RegistryError(.invalid, "manifest for \(display) from \(endpoint.host) exceeds the \(ImageDocument.maxSize)-byte limit; refusing it")
        }
        let data = Data(buffer: body)
        let digest = Digest.sha256(of: data)
        if let wanted, wanted != digest {
            throw RegistryError(.invalid, "manifest \(wanted) from \(endpoint.host) failed verification: its bytes hash to \(digest); refusing it")
        }
        if let declared = resp.headers.first(name: "Docker-Content-Digest"), let d = try? Digest(parsing: declared), d.algorithm == "sha256", d != digest {
            throw RegistryError(.invalid, "manifest for \(display) from \(endpoint.host) failed verification: the registry says \(d), its bytes hash to \(digest); refusing it")
        }
        let type = resp.headers.first(name: "Content-Type").map { String($0.split(separator: ";")[0]).trimmingCharacters(in: .whitespaces) } ?? ""
        return FetchedDocument(data: data, mediaType: type, digest: digest)
    }

    /// Uploads a manifest under `reference` (a tag or its digest); returns its digest.
    @discardableResult
    public func putManifest(_ data: Data, mediaType: String, reference: String) async throws -> Digest {
        let digest = Digest.sha256(of: data)
        let resp = try await send(.PUT, "/v2/\(repository)/manifests/\(reference)", headers: [("Content-Type", mediaType)],
                                  body: { .bytes(ByteBuffer(bytes: data)) })
        guard resp.status == .created || resp.status == .ok || resp.status == .accepted else {
            throw await failure(resp, "put manifest \(name):\(reference)")
        }
        _ = try? await resp.body.collect(upTo: 1 << 16)
        if let declared = resp.headers.first(name: "Docker-Content-Digest"), let d = try? Digest(parsing: declared), d.algorithm == "sha256", d != digest {
            throw RegistryError(.invalid, "\(endpoint.host) stored manifest \(name):\(reference) as \(d), but its bytes hash to \(digest)")
        }
        return digest
    }

    /// The repository's tags (`GET /v2/<name>/tags/list`, following `Link` pages).
    public func tags() async throws -> [String] {
        var out: [String] = []
        var next: String? = "/v2/\(repository)/tags/list"
        var pages = 0
        while let target = next, pages < 1000 {
            pages += 1
            let resp = try await send(.GET, target)
            guard resp.status == .ok else { throw await failure(resp, "list tags of \(name)") }
            struct Page: Decodable { var tags: [String]? }
            let body = try await resp.body.collect(upTo: 16 << 20)
            out += (try? JSONDecoder().decode(Page.self, from: Data(buffer: body)))?.tags ?? []
            next = resp.headers.first(name: "Link").flatMap(Self.nextLink)
        }
        return out
    }

    /// `</v2/…?last=x>; rel="next"` → `/v2/…?last=x`.
    static func nextLink(_ header: String) -> String? {
        guard header.contains("rel=\"next\""), let open = header.firstIndex(of: "<"), let close = header.firstIndex(of: ">"), open < close else { return nil }
        return String(header[header.index(after: open)..<close])
    }
}
