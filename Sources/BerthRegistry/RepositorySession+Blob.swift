import AsyncHTTPClient
import BerthOCI
import BerthStore
import Foundation
import NIOCore

extension RepositorySession {
    /// Largest config blob read into memory.
    public static let maxConfigSize: Int64 = 8 << 20

    /// Reads a small blob (an image config) whole, verified against `desc`.
    public func blobData(_ desc: Descriptor) async throws -> Data {
        guard desc.size <= Self.maxConfigSize else {
            throw RegistryError(.invalid, "blob \(desc.digest) in \(name) declares \(desc.size) bytes, more than the \(Self.maxConfigSize) allowed for an image config; refusing it")
        }
        let resp = try await send(.GET, "/v2/\(repository)/blobs/\(desc.digest)")
        guard resp.status == .ok else { throw await failure(resp, "blob \(desc.digest) in \(name)") }
        let body: ByteBuffer
        do { body = try await resp.body.collect(upTo: Int(desc.size)) } catch is NIOTooManyBytesError {
            throw RegistryError(.invalid, "blob \(desc.digest) from \(name) is larger than the \(desc.size) bytes its manifest declares; refusing it")
        }
        let data = Data(buffer: body)
        let digest = Digest.sha256(of: data)
        guard digest == desc.digest, Int64(data.count) == desc.size else {
            throw RegistryError(.invalid, "blob \(desc.digest) from \(name) failed verification: got \(data.count) bytes hashing to \(digest); refusing it")
        }
        return data
    }

    /// Downloads a blob into `store`, verified against `desc` before it is committed: a blob
    /// whose bytes do not hash to its digest (or exceed its size) is refused and nothing of it
    /// stays. Bytes an interrupted attempt left (a broken connection, a killed berthd) are kept
    /// and the rest is asked for with `Range`. `progress` gets the bytes held so far.
    public func download(_ desc: Descriptor, into store: ContentStore, progress: @escaping @Sendable (Int64) -> Void = { _ in }) async throws {
        if store.exists(desc.digest) { return }
        for pass in 0..<2 {
            let writer = try await Blocking.run { try store.resumableWriter(for: desc.digest) }
            let resumedFrom = writer.count
            do {
                try await fill(writer, desc, progress: progress)
            } catch {
                if writer.count == 0 || (error as? RegistryError)?.code == .invalid { writer.discard() }
                throw error
            }
            do {
                try await Blocking.run { _ = try writer.commit(expected: desc.digest, expectedSize: desc.size) }
                return
            } catch let e as StoreError where e.code == .invalid {
                // A part kept from an earlier attempt may itself be what was wrong: start over once.
                if resumedFrom > 0, pass == 0 { continue }
                throw RegistryError(.invalid, "blob \(desc.digest) from \(name) failed verification (\(e.message)); refusing it, nothing of it was kept")
            }
        }
    }

    /// Streams the blob's missing bytes into `writer`, resuming after transient failures.
    func fill(_ writer: BlobWriter, _ desc: Descriptor, progress: @escaping @Sendable (Int64) -> Void) async throws {
        var failures = 0
        while writer.count < desc.size {
            let offset = writer.count
            progress(offset)
            let resp = try await send(.GET, "/v2/\(repository)/blobs/\(desc.digest)", headers: offset > 0 ? [("Range", "bytes=\(offset)-")] : [])
            switch resp.status {
            case .partialContent:
                guard let range = resp.headers.first(name: "Content-Range"), range.hasPrefix("bytes \(offset)-") else {
                    _ = try? await resp.body.collect(upTo: 0)
                    try await Blocking.run { try writer.reset() }
                    continue
                }
            case .ok:
                if offset > 0 { try await Blocking.run { try writer.reset() } }
            case .rangeNotSatisfiable:
                try await Blocking.run { try writer.reset() }
                continue
            default:
                throw await failure(resp, "blob \(desc.digest) in \(name)")
            }
            do {
                try await stream(resp.body, into: writer, limit: desc.size, digest: desc.digest, progress: progress)
                if writer.count < desc.size {
                    throw RegistryError(.invalid, "blob \(desc.digest) from \(name) ended after \(writer.count) of its \(desc.size) bytes")
                }
            } catch let e as RegistryError {
                throw e
            } catch {
                // The body broke off (reset, early close, timeout): ask again for what is missing.
                failures += 1
                guard failures < Self.attempts, !(error is CancellationError) else {
                    throw RegistryError(.unavailable, "downloading blob \(desc.digest) from \(name): \(describe(error))")
                }
                try await backoff(failures)
            }
        }
    }

    /// Copies a response body into `writer` in batches of 1 MiB, off the cooperative pool.
    func stream(_ body: HTTPClientResponse.Body, into writer: BlobWriter, limit: Int64, digest: Digest, progress: @Sendable (Int64) -> Void) async throws {
        var pending = Data()
        pending.reserveCapacity(1 << 20)
        func flush() async throws {
            guard !pending.isEmpty else { return }
            let batch = pending
            pending.removeAll(keepingCapacity: true)
            try await Blocking.run { try writer.write(batch) }
            progress(writer.count)
        }
        do {
            for try await chunk in body {
                guard writer.count + Int64(pending.count) + Int64(chunk.readableBytes) <= limit else {
                    throw RegistryError(.invalid, "blob \(digest) from \(name) is larger than the \(limit) bytes its manifest declares; refusing it")
                }
                chunk.withUnsafeReadableBytes { pending.append(contentsOf: $0) }
                if pending.count >= 1 << 20 { try await flush() }
            }
        } catch {
            // What arrived before the break is good to keep for the resume.
            try? await flush()
            throw error
        }
        try await flush()
    }
}
