import BerthEngine
import BerthOCI
import Foundation
import Glibc
import NIOCore

/// A container's files: `archive` (docker cp), `changes` (docker diff), `export`, and
/// `POST /commit`.
extension ContainerRoutes {
    static func files(_ c: RouteContext, _ id: String, _ action: String) async throws -> Bool {
        let e = c.engine
        switch (c.method, action) {
        case ("HEAD", "archive"):
            let stat = try await e.statPath(id, path: try archivePath(c))
            try await c.w.respond(status: 200, headers: [("Content-Type", "application/json"), statHeader(stat)])
        case ("GET", "archive"):
            try await e.archivePath(id, path: try archivePath(c)) { stat, write in
                try await streamTar(c, headers: [statHeader(stat)], write)
            }
        case ("PUT", "archive"):
            let path = try archivePath(c)
            var options = Engine.ExtractOptions()
            options.noOverwriteDirNonDir = c.req.queryBool("noOverwriteDirNonDir")
            options.copyUIDGID = c.req.queryBool("copyUIDGID")
            // Checked before the upload is read, as Docker answers a missing container at once.
            _ = try await e.containers.find(id)
            let tar = try await c.spoolBody()
            defer { unlink(tar) }
            try await e.extractToContainer(id, path: path, tarPath: tar, options: options)
            try await c.w.respond(status: 200)
        case ("GET", "changes"):
            let changes = try await e.changes(id)
            // Docker answers `null` when nothing changed.
            if changes.isEmpty {
                try await c.w.respond(status: 200, headers: [("Content-Type", "application/json")], body: ByteBuffer(string: "null"))
            } else {
                try await c.json(changes.map { ["Path": $0.path, "Kind": $0.kind.rawValue] as [String: Any] })
            }
        case ("GET", "export"):
            try await e.export(id) { write in try await streamTar(c, headers: [], write) }
        default:
            return false
        }
        return true
    }

    /// `POST /commit?container=&repo=&tag=&comment=&author=&pause=&changes=`, with an
    /// optional container config as the body.
    static func commit(_ c: RouteContext) async throws {
        let container = c.req.queryValue("container") ?? ""
        var options = Engine.CommitOptions()
        if let repo = c.req.queryValue("repo"), !repo.isEmpty {
            let tag = c.req.queryValue("tag") ?? ""
            options.reference = try Reference(parsing: tag.isEmpty ? repo : "\(repo):\(tag)")
            if options.reference?.digest != nil { throw APIError.badRequest("cannot commit to digest reference") }
        }
        options.comment = c.req.queryValue("comment")
        options.author = c.req.queryValue("author")
        if let pause = c.req.queryValue("pause"), !pause.isEmpty { options.pause = c.req.queryBool("pause") }
        options.changes = c.req.query["changes"] ?? []
        var body = try await c.body.collect(upTo: 4 << 20)
        let data = Data(body.readBytes(length: body.readableBytes) ?? [])
        if !data.isEmpty, String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) != "null" {
            do { options.config = try JSONDecoder().decode(DockerConfig.self, from: data) } catch {
                throw APIError.badRequest("invalid container config in the commit body: \(error)")
            }
        }
        let image = try await c.engine.commit(container, options: options)
        try await c.json(["Id": image.id.description], status: 201)
    }

    static func archivePath(_ c: RouteContext) throws -> String {
        guard let path = c.req.queryValue("path"), !path.isEmpty else {
            throw APIError.badRequest("path is required: the file or directory in the container")
        }
        return path
    }

    static func statHeader(_ stat: PathStat) -> (String, String) {
        ("X-Docker-Container-Path-Stat", Data(stat.json.utf8).base64EncodedString())
    }

    /// Answers 200 with a tar that `write` produces on a blocking thread into a pipe, streamed
    /// as it comes.
    static func streamTar(_ c: RouteContext, headers: [(String, String)], _ write: @escaping @Sendable (Int32) throws -> Void) async throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw EngineError(.internalError, "pipe: \(String(cString: strerror(errno)))") }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)
        let producer = Task {
            try await Blocking.run {
                defer { close(writeEnd) }
                try write(writeEnd)
            }
        }
        var failure: (any Error)?
        do {
            try await c.w.writeHead(status: 200, headers: [("Content-Type", "application/x-tar")] + headers)
            while true {
                let chunk = try await Blocking.run { () throws -> [UInt8] in
                    var buf = [UInt8](repeating: 0, count: 1 << 20)
                    while true {
                        let n = read(readEnd, &buf, buf.count)
                        if n >= 0 { return Array(buf[0..<n]) }
                        if errno != EINTR { throw EngineError(.internalError, "read: \(String(cString: strerror(errno)))") }
                    }
                }
                if chunk.isEmpty { break }
                try await c.w.write(ByteBuffer(bytes: chunk))
            }
        } catch {
            failure = error
        }
        // Closing the read end makes a producer still writing fail with EPIPE and stop.
        close(readEnd)
        let produced = await producer.result
        if let failure { throw failure }
        try produced.get()
        try await c.w.end()
    }
}
