import AsyncHTTPClient
import BerthOCI
import BerthStore
import Foundation
import Glibc
import NIOCore

extension RepositorySession {
    /// Whether the repository already has the blob (`HEAD`).
    public func blobExists(_ digest: Digest) async throws -> Bool {
        let resp = try await send(.HEAD, "/v2/\(repository)/blobs/\(digest)")
        switch resp.status {
        case .ok: return true
        case .notFound: return false
        default: throw await failure(resp, "check blob \(digest) in \(name)")
        }
    }

    /// Asks the registry to link a blob it holds in `source` (another repository) into this one.
    /// True when mounted; false when the registry would not (the blob must be uploaded).
    public func mount(_ digest: Digest, from source: String) async throws -> Bool {
        addMountSource(source)
        let resp = try await send(.POST, "/v2/\(repository)/blobs/uploads/?mount=\(digest)&from=\(source)", body: { .bytes(ByteBuffer()) })
        _ = try? await resp.body.collect(upTo: 1 << 16)
        switch resp.status {
        case .created: return true
        // The registry opened an ordinary upload instead; it expires on its own.
        case .accepted: return false
        default: return false
        }
    }

    /// Uploads the file at `path` as blob `digest` of `size` bytes: one POST to open the
    /// upload, one PUT with the whole body (monolithic). Retried from the start on 5xx and
    /// broken connections. `progress` gets the bytes sent.
    public func upload(_ digest: Digest, size: Int64, from path: String, progress: @escaping @Sendable (Int64) -> Void = { _ in }) async throws {
        var attempt = 0
        while true {
            attempt += 1
            do {
                let open = try await send(.POST, "/v2/\(repository)/blobs/uploads/", body: { .bytes(ByteBuffer()) })
                guard open.status == .accepted, let location = open.headers.first(name: "Location") else {
                    throw await failure(open, "start upload of \(digest) to \(name)")
                }
                _ = try? await open.body.collect(upTo: 1 << 16)
                let target = location + (location.contains("?") ? "&" : "?") + "digest=\(digest)"
                let put = try await send(.PUT, target, headers: [("Content-Type", "application/octet-stream"), ("Content-Length", String(size))],
                                         body: { .stream(FileChunks(path: path, progress: progress), length: .known(size)) }, retry: false)
                guard put.status == .created || put.status == .noContent || put.status == .ok else {
                    throw await failure(put, "upload blob \(digest) to \(name)")
                }
                _ = try? await put.body.collect(upTo: 1 << 16)
                return
            } catch let e as RegistryError where e.code == .unavailable && attempt < Self.attempts {
                try await backoff(attempt)
            }
        }
    }
}

/// A file's bytes as an async sequence of 1 MiB buffers, read off the cooperative pool.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let path: String
    let progress: @Sendable (Int64) -> Void

    final class Reader: @unchecked Sendable {
        // Used by one iterator, one read at a time.
        let fd: Int32
        var sent: Int64 = 0
        init(path: String) throws {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw RegistryError(.unavailable, "cannot open \(path): \(String(cString: strerror(errno)))") }
        }
        deinit { close(fd) }
        func read() throws -> ByteBuffer? {
            var buffer = ByteBuffer()
            let n = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 1 << 20) { raw -> Int in
                while true {
                    let n = Glibc.read(fd, raw.baseAddress, 1 << 20)
                    if n < 0, errno == EINTR { continue }
                    if n < 0 { throw RegistryError(.unavailable, "read blob: \(String(cString: strerror(errno)))") }
                    return n
                }
            }
            sent += Int64(n)
            return n == 0 ? nil : buffer
        }
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        let path: String
        let progress: @Sendable (Int64) -> Void
        var reader: Reader?
        mutating func next() async throws -> ByteBuffer? {
            if reader == nil { reader = try Reader(path: path) }
            guard let r = reader else { return nil }
            let chunk = try await Blocking.run { try r.read() }
            progress(r.sent)
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(path: path, progress: progress) }
}
