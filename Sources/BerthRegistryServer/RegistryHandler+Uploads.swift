import BerthAPI
import BerthOCI
import BerthStore
import Foundation
import NIOCore

extension RegistryHandler {
    func uploadLocation(_ name: String, _ id: String) -> String { "/v2/\(name)/blobs/uploads/\(id)" }

    /// Headers telling the client where its upload stands.
    func uploadHeaders(_ name: String, _ id: String, received: Int64) -> [(String, String)] {
        [("Location", uploadLocation(name, id)), ("Docker-Upload-UUID", id), ("Range", "0-\(max(0, received - 1))")]
    }

    /// `POST /v2/<name>/blobs/uploads/`: a cross-repository mount (`?mount=&from=`), a monolithic
    /// upload (`?digest=` with the body), or a new session (202).
    func startUpload(_ name: String, _ request: HTTPRequest, _ body: RequestBody, _ writer: ResponseWriter) async throws -> Outcome {
        if let mount = request.queryValue("mount"), let from = request.queryValue("from") {
            let digest = try parseDigest(mount)
            if RegistryNames.isValidRepository(from), storage.blobSize(from, digest) != nil {
                try storage.linkBlob(name, digest)
                return try await empty(writer, status: 201, headers: [("Location", "/v2/\(name)/blobs/\(digest)"), ("Docker-Content-Digest", digest.description)])
            }
        }
        let blobWriter = try storage.content.writer()
        if let digestText = request.queryValue("digest"), request.queryValue("mount") == nil {
            let digest = try parseDigest(digestText)
            try await receive(body, into: blobWriter)
            return try await commit(name, blobWriter, expected: digest, writer)
        }
        let id = try await uploads.open(repository: name, writer: blobWriter)
        return try await empty(writer, status: 202, headers: uploadHeaders(name, id, received: 0))
    }

    /// A chunk's `Content-Range`: `first-last` (or `bytes first-last/total`), inclusive, nil when
    /// malformed.
    static func chunkRange(_ header: String) -> (first: Int64, last: Int64)? {
        let spec = header.hasPrefix("bytes ") ? header.dropFirst(6) : Substring(header)
        guard let bounds = spec.split(separator: "/", omittingEmptySubsequences: false).first?.split(separator: "-", omittingEmptySubsequences: false),
              bounds.count == 2, let first = Int64(bounds[0]), let last = Int64(bounds[1]), first >= 0, last >= first - 1 else { return nil }
        return (first, last)
    }

    /// `PATCH` a chunk. With `Content-Range: a-b`, `a` must be where the upload stands (else 416).
    func patchUpload(_ name: String, _ id: String, _ request: HTTPRequest, _ body: RequestBody, _ writer: ResponseWriter) async throws -> Outcome {
        guard let session = await uploads.checkOut(id, repository: name) else { throw RegistryError(.blobUploadUnknown, "blob upload unknown to registry: \(id)") }
        if let range = request.header("Content-Range") {
            guard let (first, _) = Self.chunkRange(range) else {
                await uploads.checkIn(id, session)
                throw RegistryError(.blobUploadInvalid, "malformed Content-Range \(range)")
            }
            guard first == session.writer.count else {
                let received = session.writer.count
                await uploads.checkIn(id, session)
                try await writer.respond(status: 416, headers: uploadHeaders(name, id, received: received) + [("Content-Type", "application/json")],
                                         body: ByteBuffer(bytes: RegistryError(.rangeInvalid, "chunk starts at \(first), the upload is at \(received)").body))
                return Outcome(status: 416)
            }
        }
        do {
            try await receive(body, into: session.writer)
        } catch {
            // A chunk cut short leaves the session in an unknown state: the client starts over.
            session.writer.discard()
            await uploads.close(id)
            throw error
        }
        let received = session.writer.count
        await uploads.checkIn(id, session)
        return try await empty(writer, status: 202, headers: uploadHeaders(name, id, received: received))
    }

    /// `PUT ...?digest=`: the last chunk (if any), then verification and commit.
    func finishUpload(_ name: String, _ id: String, _ request: HTTPRequest, _ body: RequestBody, _ writer: ResponseWriter) async throws -> Outcome {
        guard let digestText = request.queryValue("digest") else { throw RegistryError(.digestInvalid, "the digest query parameter is required") }
        let digest = try parseDigest(digestText)
        guard let session = await uploads.checkOut(id, repository: name) else { throw RegistryError(.blobUploadUnknown, "blob upload unknown to registry: \(id)") }
        await uploads.close(id)
        do {
            try await receive(body, into: session.writer)
        } catch {
            session.writer.discard()
            throw error
        }
        return try await commit(name, session.writer, expected: digest, writer)
    }

    /// Verifies the digest, fsyncs and renames the blob into place, and links it into the repository.
    func commit(_ name: String, _ blobWriter: BlobWriter, expected: Digest, _ writer: ResponseWriter) async throws -> Outcome {
        guard expected.algorithm == "sha256" else {
            blobWriter.discard()
            throw RegistryError(.digestInvalid, "only sha256 digests are supported")
        }
        do {
            _ = try await Blocking.run { try blobWriter.commit(expected: expected) }
        } catch let error as StoreError {
            throw RegistryError(.digestInvalid, error.message)
        }
        try storage.linkBlob(name, expected)
        return try await empty(writer, status: 201, headers: [("Location", "/v2/\(name)/blobs/\(expected)"), ("Docker-Content-Digest", expected.description)])
    }

    /// `GET` an upload session: where it stands (204).
    func uploadStatus(_ name: String, _ id: String, _ writer: ResponseWriter) async throws -> Outcome {
        guard let received = await uploads.offset(id, repository: name) else { throw RegistryError(.blobUploadUnknown, "blob upload unknown to registry: \(id)") }
        return try await empty(writer, status: 204, headers: uploadHeaders(name, id, received: received))
    }

    /// `DELETE` an upload session: its bytes are dropped.
    func cancelUpload(_ name: String, _ id: String, _ writer: ResponseWriter) async throws -> Outcome {
        guard let session = await uploads.checkOut(id, repository: name) else { throw RegistryError(.blobUploadUnknown, "blob upload unknown to registry: \(id)") }
        session.writer.discard()
        await uploads.close(id)
        return try await empty(writer, status: 204, headers: [])
    }

    /// Streams a request body into an ingest file, in writes of up to 1 MiB off the cooperative pool.
    func receive(_ body: RequestBody, into blobWriter: BlobWriter) async throws {
        var pending = ByteBuffer()
        func flush() async throws {
            guard pending.readableBytes > 0 else { return }
            let bytes = pending
            pending = ByteBuffer()
            try await Blocking.run { try bytes.withUnsafeReadableBytes { try blobWriter.write($0) } }
        }
        while var piece = try await body.next() {
            pending.writeBuffer(&piece)
            if pending.readableBytes >= 1 << 20 { try await flush() }
        }
        try await flush()
    }
}
