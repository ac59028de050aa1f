import ArgumentParser
import BerthAPI
import BerthArchive
import Foundation
import Glibc
import Synchronization

/// `berth cp`: files between a container (running or not) and the host, or a tar on
/// stdin/stdout with `-`. Docker's rules for where things land (`dir/` vs `dir/.`, existing
/// or new destinations) come from `HostCopy` and `CopyPath`.
struct Cp: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cp",
        abstract: "Copy files/folders between a container and the local filesystem",
        discussion: """
            berth cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-
            berth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH

            Use '-' as the source to read a tar archive from stdin and extract it to a directory
            destination in a container. Use '-' as the destination to stream a tar archive of a
            container source to stdout.
            """)

    @Flag(name: .shortAndLong, help: "Archive mode (copy all uid/gid information)") var archive = false
    @Flag(name: [.customShort("L"), .customLong("follow-link")], help: "Always follow symbol link in SRC_PATH") var followLink = false
    @Flag(name: .shortAndLong, help: "Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached") var quiet = false
    @Argument(help: "CONTAINER:SRC_PATH or SRC_PATH|-") var source: String
    @Argument(help: "DEST_PATH|- or CONTAINER:DEST_PATH") var destination: String

    func run() throws {
        // A daemon that stops reading an upload must fail the copy, not kill the CLI.
        signal(SIGPIPE, SIG_IGN)
        if source.isEmpty { throw CLIError("source can not be empty") }
        if destination.isEmpty { throw CLIError("destination can not be empty") }
        let (srcContainer, srcPath) = Self.split(source)
        let (dstContainer, dstPath) = Self.split(destination)
        // Like docker: progress only when stdout is a terminal, unless -q.
        let progress = !quiet && isatty(1) != 0
        switch (srcContainer, dstContainer) {
        case (let c?, nil): try copyFrom(container: c, path: srcPath, to: dstPath, progress: progress)
        case (nil, let c?): try copyTo(container: c, path: dstPath, from: srcPath, progress: progress)
        case (.some, .some): throw CLIError("copying between containers is not supported")
        case (nil, nil): throw CLIError("must specify at least one container source")
        }
    }

    /// `CONTAINER:PATH` or a local path; a local path with a `:` must start with `/` or `.`.
    static func split(_ arg: String) -> (container: String?, path: String) {
        if arg.hasPrefix("/") { return (nil, arg) }
        guard let colon = arg.firstIndex(of: ":") else { return (nil, arg) }
        let container = String(arg[..<colon])
        if container.hasPrefix(".") { return (nil, arg) }
        return (container, String(arg[arg.index(after: colon)...]))
    }

    /// What `HEAD /containers/{id}/archive` says about a path; nil when it does not exist.
    typealias PathStat = (isDir: Bool, isRegular: Bool, isLink: Bool, linkTarget: String)

    static func stat(_ api: API, _ container: String, _ path: String) throws -> PathStat? {
        let resp = try api.client.send(method: "HEAD", path: "/v\(APIVersion.current)/containers/\(container)/archive", query: [("path", path)])
        if (200..<300).contains(resp.status) { return try decodeStat(resp.header("X-Docker-Container-Path-Stat")) }
        // A HEAD answer has no message: a missing container is told apart by asking for it.
        if resp.status == 404 {
            _ = try api.call("GET", "/containers/\(container)/json")
            return nil
        }
        throw CLIError("Error response from daemon: stat \(path) in \(container) failed with status \(resp.status)")
    }

    static func decodeStat(_ header: String?) throws -> PathStat {
        guard let header, let data = Data(base64Encoded: header),
              let stat = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let mode = (stat["mode"] as? NSNumber)?.uint32Value else {
            throw CLIError("unable to decode container path stat header")
        }
        let typeBits = mode & 0xFFF0_0000 & ~(1 << 23 | 1 << 22 | 1 << 20)
        return (mode & 1 << 31 != 0, typeBits == 0, mode & 1 << 27 != 0, stat["linkTarget"] as? String ?? "")
    }

    private func copyFrom(container: String, path: String, to dst: String, progress: Bool) throws {
        let api = try API.connect()
        var srcPath = path
        var rebase: String?
        let dstPath = dst == "-" ? dst : HostCopy.absolute(dst)
        if dstPath != "-" { try HostCopy.validateOutput(dstPath) }
        if followLink, let st = try? Self.stat(api, container, srcPath), st.isLink {
            let target = st.linkTarget.hasPrefix("/") ? st.linkTarget : CopyPath.join(CopyPath.splitDirEntry(srcPath).dir, st.linkTarget)
            (srcPath, rebase) = CopyPath.rebaseName(srcPath, resolved: target)
        }
        let resp = try api.call("GET", "/containers/\(container)/archive", query: [("path", srcPath)])
        if dstPath == "-" {
            while let chunk = try resp.readChunk() {
                do { try FileHandle.standardOutput.write(contentsOf: chunk) } catch {
                    throw CLIError("write /dev/stdout: \(String(cString: strerror(EPIPE)).lowercased())")
                }
            }
            return
        }
        let stat = try Self.decodeStat(resp.header("X-Docker-Container-Path-Stat"))
        let source = CopyInfo(path: srcPath, exists: true, isDir: stat.isDir, rebaseName: rebase)
        let destination = try HostCopy.destinationInfo(dstPath)
        let (dir, rename) = try HostCopy.prepare(source: source, destination: destination)
        // Entries start with the source's last element (`/…` for the root); a link followed
        // with -L renames it first, then the destination may rename it again.
        var srcBase = CopyPath.splitDirEntry(srcPath).base
        if srcBase == "/" { srcBase = "" }
        var options = CopyArchive.Options()
        options.noOverwriteDirNonDir = true
        options.owner = .caller
        options.destinationName = dir
        if let rename { options.rename = (srcBase, rename.to) } else if let rebase { options.rename = (srcBase, rebase) }
        let dirFD = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dirFD >= 0 else { throw HostCopy.osError("open", dir) }
        defer { close(dirFD) }
        let copied = try Self.extract(resp, into: dirFD, options: options)
        if progress { FileHandle.standardError.write(Data(Self.summary(copied, to: dstPath).utf8)) }
    }

    private func copyTo(container: String, path dst: String, from src: String, progress: Bool) throws {
        let api = try API.connect()
        var destination = CopyInfo(path: dst)
        // As docker: a stat that fails leaves the destination "missing"; the upload then tells.
        if let first = try? Self.stat(api, container, dst) {
            var found: PathStat? = first
            if first.isLink {
                destination.path = first.linkTarget.hasPrefix("/") ? first.linkTarget
                    : CopyPath.join(CopyPath.splitDirEntry(dst).dir, first.linkTarget)
                found = (try? Self.stat(api, container, destination.path)) ?? nil
            }
            if let found {
                if !found.isDir && !found.isRegular {
                    throw CLIError("destination \"\(container):\(dst)\" must be a directory or a regular file")
                }
                destination.exists = true
                destination.isDir = found.isDir
            }
        }
        try upload(api, container, destination, src, progress)
    }

    private func upload(_ api: API, _ container: String, _ destination: CopyInfo, _ src: String, _ progress: Bool) throws {
        var query: [(String, String)] = [("noOverwriteDirNonDir", "true")]
        if archive { query.append(("copyUIDGID", "true")) }
        let sent = Mutex<Int64>(0)
        let counter: @Sendable (Int64) -> Void = { n in sent.withLock { $0 = n } }
        if src == "-" {
            guard destination.isDir else { throw CLIError("destination \"\(container):\(destination.path)\" must be a directory") }
            query.append(("path", destination.path))
            _ = try api.call("PUT", "/containers/\(container)/archive", query: query,
                             headers: [("Content-Type", "application/x-tar")], body: .stream(.standardInput, progress: counter))
        } else {
            let source = try HostCopy.sourceInfo(HostCopy.absolute(src), followLink: followLink)
            let (dir, rename) = try HostCopy.prepare(source: source, destination: destination)
            let (sourceDir, sourceBase) = CopyPath.splitDirEntry(source.path)
            query.append(("path", dir))
            let entryName = rename?.to ?? source.rebaseName ?? sourceBase
            let tar = try TarProducer(directory: sourceDir, name: sourceBase, as: entryName)
            let resp = try api.call("PUT", "/containers/\(container)/archive", query: query,
                                    headers: [("Content-Type", "application/x-tar")], body: .stream(tar.output, progress: counter))
            _ = try? resp.readAll()
            try tar.finish()
        }
        if progress { FileHandle.standardError.write(Data(Self.summary(sent.withLock { $0 }, to: "\(container):\(destination.path)").utf8)) }
    }

    /// docker's last line: the bytes of the tar that went over the wire, in its decimal units.
    static func summary(_ bytes: Int64, to destination: String) -> String {
        "Successfully copied \(HumanUnits.size(bytes)) to \(destination)\n"
    }

    /// Feeds the response body through a pipe to an extraction on another thread; returns the
    /// bytes received.
    static func extract(_ resp: HTTPResponse, into dirFD: Int32, options: CopyArchive.Options) throws -> Int64 {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw HostCopy.osError("pipe", "") }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        let failure = ThreadFailure()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            do { try CopyArchive.extract(from: readEnd, into: dirFD, options: options) } catch {
                failure.record(error)
            }
            close(readEnd)
            done.signal()
        }
        thread.start()
        var total: Int64 = 0
        var writeError: (any Error)?
        do {
            while let chunk = try resp.readChunk() {
                total += Int64(chunk.count)
                let ok = chunk.withUnsafeBytes { buf -> Bool in
                    var off = 0
                    while off < buf.count {
                        let n = write(writeEnd, buf.baseAddress! + off, buf.count - off)
                        if n < 0 { if errno == EINTR { continue }; return false }
                        off += n
                    }
                    return true
                }
                if !ok { break }
            }
        } catch {
            writeError = error
        }
        close(writeEnd)
        done.wait()
        try failure.rethrow()
        if let writeError { throw writeError }
        return total
    }
}

/// A tar of a host path written on its own thread into a pipe whose read end is the body of
/// an upload.
final class TarProducer {
    let output: FileHandle
    private let failure = ThreadFailure()
    private let done = DispatchSemaphore(value: 0)

    init(directory: String, name: String, as entryName: String) throws {
        let dirFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dirFD >= 0 else { throw HostCopy.osError("open", directory) }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { close(dirFD); throw HostCopy.osError("pipe", "") }
        let writeEnd = fds[1]
        output = FileHandle(fileDescriptor: fds[0], closeOnDealloc: true)
        let failure = self.failure, done = self.done
        Thread {
            do { _ = try CopyArchive.write(from: dirFD, name: name, as: entryName, to: writeEnd) } catch {
                failure.record(error)
            }
            close(writeEnd)
            close(dirFD)
            done.signal()
        }.start()
    }

    /// Waits for the tar to be complete; throws what stopped it.
    func finish() throws {
        done.wait()
        try failure.rethrow()
    }
}

/// What stopped a helper thread, handed to the thread that waits for it.
final class ThreadFailure: Sendable {
    private let error = Mutex<(any Error)?>(nil)

    func record(_ e: any Error) { error.withLock { $0 = e } }

    /// Throws the recorded error (an archive error as the CLI's message).
    func rethrow() throws {
        guard let e = error.withLock({ $0 }) else { return }
        if let a = e as? ArchiveError { throw CLIError(a.message) }
        throw e
    }
}
