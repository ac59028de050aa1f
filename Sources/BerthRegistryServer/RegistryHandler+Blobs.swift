import BerthAPI
import BerthOCI
import BerthStore
import Foundation
import Glibc
import NIOCore

extension RegistryHandler {
    /// `GET`/`HEAD /v2/<name>/blobs/<digest>`, honouring one `Range: bytes=a-b` (206).
    func getBlob(_ name: String, _ digest: Digest, _ request: HTTPRequest, _ writer: ResponseWriter) async throws -> Outcome {
        guard let size = storage.blobSize(name, digest) else { throw RegistryError(.blobUnknown, "blob unknown to registry: \(digest)") }
        var start: Int64 = 0
        var end = size - 1
        var status = 200
        var headers = [("Content-Type", "application/octet-stream"), ("Docker-Content-Digest", digest.description),
                       ("Accept-Ranges", "bytes"), ("ETag", "\"\(digest)\"")]
        if let range = request.header("Range") {
            guard let (first, last) = Self.parseRange(range, size: size) else {
                try await writer.respond(status: 416, headers: [("Content-Range", "bytes */\(size)")])
                return Outcome(status: 416)
            }
            (start, end, status) = (first, last, 206)
            headers.append(("Content-Range", "bytes \(start)-\(end)/\(size)"))
        }
        let length = max(0, end - start + 1)
        try await writer.writeHead(status: status, headers: headers + [("Content-Length", String(length))])
        if request.method == "HEAD" || length == 0 {
            try await writer.end()
            return Outcome(status: status)
        }
        let path = storage.blobPath(digest)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw RegistryError(.blobUnknown, "blob unknown to registry: \(digest)") }
        defer { close(fd) }
        var offset = start
        while offset <= end {
            let want = Int(min(1 << 20, end - offset + 1))
            let at = offset
            let chunk = try await Blocking.run { () throws -> ByteBuffer in
                var buffer = ByteBuffer()
                var n = 0
                buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: want) { bytes in
                    n = pread(fd, bytes.baseAddress, want, off_t(at))
                    return max(n, 0)
                }
                guard n > 0 else { throw RegistryServerError("short read of blob \(digest)") }
                return buffer
            }
            offset += Int64(chunk.readableBytes)
            try await writer.write(chunk)
        }
        try await writer.end()
        return Outcome(status: status, bytes: length)
    }

    /// `bytes=a-b`, `bytes=a-` or `bytes=-n` within `size`; nil when unsatisfiable.
    static func parseRange(_ header: String, size: Int64) -> (Int64, Int64)? {
        guard header.hasPrefix("bytes="), !header.contains(",") else { return nil }
        let spec = header.dropFirst(6).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard spec.count == 2 else { return nil }
        if spec[0].isEmpty {
            guard let suffix = Int64(spec[1]), suffix > 0, size > 0 else { return nil }
            return (max(0, size - suffix), size - 1)
        }
        guard let first = Int64(spec[0]), first < size else { return nil }
        let last = spec[1].isEmpty ? size - 1 : min(Int64(spec[1]) ?? -1, size - 1)
        return last >= first ? (first, last) : nil
    }

    /// `DELETE /v2/<name>/blobs/<digest>`: unlinks the blob from the repository (409 while a
    /// manifest of it names the blob); `registry gc` frees its bytes.
    func deleteBlob(_ name: String, _ digest: Digest, _ writer: ResponseWriter) async throws -> Outcome {
        let storage = self.storage
        try await Blocking.run { try storage.deleteBlob(name, digest) }
        return try await empty(writer, status: 202, headers: [("Docker-Content-Digest", digest.description)])
    }
}
