import AsyncHTTPClient
import Foundation
import NIOCore

/// A plain GET of a URL streamed into a new file: `ADD <url>` in a build. It goes through the
/// registry client's HTTP client (redirects followed up to 5 times, the same connect and read
/// timeouts) but sends no credentials.
extension RegistryClient {
    /// GETs `url` into a file created at `path` with mode 0600 (an existing file is an error);
    /// the body is written as it arrives, never held whole. A status other than 2xx, or a
    /// transfer cut short, is an error and leaves no file.
    public func download(_ url: String, to path: String) async throws(RegistryError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw RegistryError(.io, "cannot create \(path): \(String(cString: strerror(errno)))") }
        var complete = false
        defer {
            close(fd)
            if !complete { unlink(path) }
        }
        do {
            let response = try await http.execute(HTTPClientRequest(url: url), deadline: .distantFuture)
            guard (200..<300).contains(response.status.code) else {
                throw RegistryError(response.status.code == 404 ? .notFound : .unavailable, "failed to GET \(url) with status \(response.status.code)")
            }
            for try await chunk in response.body {
                try chunk.withUnsafeReadableBytes { (bytes: UnsafeRawBufferPointer) throws(RegistryError) in
                    var done = 0
                    while done < bytes.count {
                        let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
                        if n < 0 && errno == EINTR { continue }
                        guard n > 0 else {
                            let why = n == 0 ? "nothing was written" : String(cString: strerror(errno))
                            throw RegistryError(.io, "cannot write the download of \(url) to \(path): \(why)")
                        }
                        done += n
                    }
                }
            }
            complete = true
        } catch let error as RegistryError {
            throw error
        } catch {
            throw RegistryError(.unavailable, "failed to GET \(url): \(error)")
        }
    }
}
