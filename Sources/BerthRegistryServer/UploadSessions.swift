import BerthStore
import Foundation

/// Blob uploads in progress, by session id: each an ingest file being hashed as chunks arrive.
///
/// Sessions live in memory only: after a restart a client starts its upload again, and the ingest
/// files a killed server left behind are removed at start, so no half blob is ever served.
actor UploadSessions {
    /// One upload: its repository, its writer and when it last moved.
    final class Session: @unchecked Sendable {
        // @unchecked Sendable: a session is taken out of the table (`checkOut`) by the one request
        // that writes to it and put back (`checkIn`) when that request ends, so one task at a time uses it.
        let repository: String
        let writer: BlobWriter
        var touched = Date()

        init(repository: String, writer: BlobWriter) {
            self.repository = repository
            self.writer = writer
        }
    }

    private var idle: [String: Session] = [:]
    private var busy: Set<String> = []
    /// Sessions open at once (`--max-uploads`); more are refused with 429.
    let limit: Int

    init(limit: Int = 256) {
        self.limit = limit
    }

    /// Sessions open now, in use or not.
    var count: Int { idle.count + busy.count }

    /// Opens a session for `repository`, returning its id; refused (and the writer discarded)
    /// when `limit` sessions are open.
    func open(repository: String, writer: BlobWriter) throws(RegistryError) -> String {
        guard count < limit else {
            writer.discard()
            throw RegistryError(.tooManyRequests, "\(limit) uploads are in progress, the most this registry allows (--max-uploads); finish or cancel one, or retry later")
        }
        let id = UUID().uuidString.lowercased()
        idle[id] = Session(repository: repository, writer: writer)
        return id
    }

    /// Takes a session for one request; nil when unknown, of another repository or already in use.
    func checkOut(_ id: String, repository: String) -> Session? {
        guard let session = idle[id], session.repository == repository else { return nil }
        idle[id] = nil
        busy.insert(id)
        return session
    }

    /// Returns a session after a request that did not finish it.
    func checkIn(_ id: String, _ session: Session) {
        busy.remove(id)
        session.touched = Date()
        idle[id] = session
    }

    /// Forgets a session that was committed or cancelled.
    func close(_ id: String) {
        busy.remove(id)
    }

    /// The bytes received so far, for `GET` on the session.
    func offset(_ id: String, repository: String) -> Int64? {
        guard let session = idle[id], session.repository == repository else { return nil }
        return session.writer.count
    }

    /// Discards sessions idle for longer than `age` (abandoned pushes).
    func expire(olderThan age: TimeInterval) {
        let cutoff = Date().addingTimeInterval(-age)
        for (id, session) in idle where session.touched < cutoff {
            session.writer.discard()
            idle[id] = nil
        }
    }
}
