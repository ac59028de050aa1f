import Foundation
import Glibc

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Paths of the binaries under test and of the peers.
enum Binaries {
    /// `swift build` puts the executables where the test bundle is.
    static var buildDir: String {
        let cwd = FileManager.default.currentDirectoryPath
        let candidates = [(Bundle.main.bundlePath as NSString).deletingLastPathComponent, Bundle.main.bundlePath, "\(cwd)/.build/debug"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: "\($0)/berthd") } ?? "\(cwd)/.build/debug"
    }
    static var berthd: String { "\(buildDir)/berthd" }
    static var berth: String { "\(buildDir)/berth" }
    /// Debian's docker.io CLI (20.10); the newer one on PATH if that is all there is.
    static let docker = FileManager.default.isExecutableFile(atPath: "/usr/bin/docker") ? "/usr/bin/docker" : "/usr/local/bin/docker"
    static let dockerd = ["/usr/sbin/dockerd", "/usr/bin/dockerd"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "dockerd"
}

enum TempDir {
    static func make(_ prefix: String) throws -> String {
        var template = Array("/tmp/berth-test-\(prefix)-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw TestFailure("mkdtemp failed") }
        return String(cString: p)
    }
}

/// Runs a command and collects its output.
enum Run {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
        var lines: [String] { stdout.split(separator: "\n").map(String.init) }
    }

    static func run(_ exe: String, _ args: [String], env: [String: String] = [:], stdinFile: String? = nil) -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        var e = ProcessInfo.processInfo.environment
        for (k, v) in env { e[k] = v }
        p.environment = e
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = stdinFile.flatMap { FileHandle(forReadingAtPath: $0) } ?? FileHandle.nullDevice
        do { try p.run() } catch { return Result(status: -1, stdout: "", stderr: "\(error)") }
        // Read both pipes at once so a full pipe never blocks the child.
        let errBox = DataBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errBox.data = readAll(err.fileHandleForReading.fileDescriptor)
            group.leave()
        }
        let outData = readAll(out.fileHandleForReading.fileDescriptor)
        group.wait()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errBox.data, as: UTF8.self))
    }

    /// Reads to EOF, retrying on EINTR (Foundation's readDataToEndOfFile traps on it).
    static func readAll(_ fd: Int32) -> Data {
        var data = Data()
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buf, buf.count)
            if n < 0 { if errno == EINTR { continue }; break }
            if n == 0 { break }
            data.append(contentsOf: buf[0..<n])
        }
        return data
    }

    final class DataBox: @unchecked Sendable {
        // Written by one thread before group.leave(), read after group.wait().
        var data = Data()
    }

    static func sh(_ script: String) -> Result { run("/bin/sh", ["-c", script]) }

    /// An HTTP exchange with a unix socket through curl (-i: headers included); status 0 = answered.
    static func curl(socket: String, path: String, method: String = "GET", extra: [String] = []) -> Result {
        run("/usr/bin/curl", ["-s", "--max-time", "5", "--unix-socket", socket, "-X", method, "-i", "http://localhost\(path)"] + extra)
    }
}
