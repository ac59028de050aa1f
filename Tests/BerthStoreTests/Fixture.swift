import BerthOCI
import Foundation
import Glibc
import Testing

@testable import BerthStore

struct FixtureError: Error, CustomStringConvertible {
    let description: String
}

/// A scratch directory for one test, removed when the test drops it.
final class TempDir {
    let path: String

    init() throws {
        var template = Array("/tmp/berth-store-test-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw FixtureError(description: "mkdtemp: \(errno)") }
        path = String(cString: made)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func at(_ relative: String) -> String { "\(path)/\(relative)" }
}

/// Names in `dir`, sorted; empty when it does not exist.
func entries(_ dir: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
}

/// lstat: true for dangling symlinks too.
func present(_ path: String) -> Bool {
    var st = stat()
    return lstat(path, &st) == 0
}

/// One member of a test layer.
struct TarEntry: Encodable, Sendable {
    enum Kind: String, Encodable, Sendable { case file, dir, symlink, hardlink }
    var name: String
    var kind: Kind
    var data = ""
    var link = ""
    var mode = 0o644

    static func file(_ name: String, _ content: String = "", mode: Int = 0o644) -> TarEntry {
        TarEntry(name: name, kind: .file, data: content, mode: mode)
    }
    static func dir(_ name: String) -> TarEntry { TarEntry(name: name, kind: .dir, mode: 0o755) }
    static func symlink(_ name: String, to target: String) -> TarEntry { TarEntry(name: name, kind: .symlink, link: target, mode: 0o777) }
    static func hardlink(_ name: String, to target: String) -> TarEntry { TarEntry(name: name, kind: .hardlink, link: target) }
}

enum Compression: String, Sendable, CaseIterable, CustomStringConvertible {
    case none, gzip
    var description: String { rawValue }
}

/// A layer blob on disk with the diff_id of its uncompressed tar.
struct Layer {
    let path: String
    let diffID: Digest
    /// The blob's bytes as stored (compressed when asked).
    var bytes: Data { FileManager.default.contents(atPath: path) ?? Data() }
    /// Sum of the regular files' sizes: what the snapshot reports as its size.
    let contentSize: Int64

    /// Writes `entries` as a tar (built by Python's tarfile, so hostile names are kept verbatim).
    static func make(_ entries: [TarEntry], in dir: String, name: String = UUID().uuidString, compression: Compression = .none) throws -> Layer {
        let spec = "\(dir)/\(name).json"
        let tar = "\(dir)/\(name).tar"
        try JSONEncoder().encode(entries).write(to: URL(fileURLWithPath: spec))
        try run("/usr/bin/python3", "-c", builder, spec, tar)
        guard let plain = FileManager.default.contents(atPath: tar) else { throw FixtureError(description: "no tar at \(tar)") }
        let size = entries.filter { $0.kind == .file }.reduce(Int64(0)) { $0 + Int64($1.data.utf8.count) }
        switch compression {
        case .none:
            return Layer(path: tar, diffID: Digest.sha256(of: plain), contentSize: size)
        case .gzip:
            try run("/usr/bin/gzip", "-k", "-n", "-f", tar)
            return Layer(path: tar + ".gz", diffID: Digest.sha256(of: plain), contentSize: size)
        }
    }

    static let builder = #"""
    import io, json, sys, tarfile
    types = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for e in json.load(open(sys.argv[1])):
            ti = tarfile.TarInfo(e["name"])
            ti.type = types[e["kind"]]
            ti.mode, ti.mtime, ti.uid, ti.gid, ti.uname, ti.gname = e["mode"], 1600000000, 0, 0, "", ""
            ti.linkname = e["link"]
            data = e["data"].encode()
            ti.size = len(data) if e["kind"] == "file" else 0
            t.addfile(ti, io.BytesIO(data) if e["kind"] == "file" else None)
    open(sys.argv[2], "wb").write(buf.getvalue())
    """#
}

/// Runs a command, failing with its stderr when it exits non-zero.
@discardableResult
func run(_ executable: String, _ arguments: String...) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw FixtureError(description: "\(executable) failed: \(String(decoding: stderr, as: UTF8.self))")
    }
    return stdout
}

/// A sha256 digest whose hex starts with `prefix` (padded with zeros), for id-prefix tests.
func digest(prefix: String) throws -> Digest {
    try Digest(algorithm: "sha256", encoded: prefix + String(repeating: "0", count: 64 - prefix.count))
}

/// A digest standing for some content named `seed`.
func digest(of seed: String) -> Digest { Digest.sha256(of: Data(seed.utf8)) }

/// An image record with uncompressed layers (layer digest == diff_id).
func record(
    id: Digest, manifest: Digest? = nil, layers: [Digest] = [], added: Date = Date(), created: Date? = nil,
    repoDigests: [String] = []
) -> ImageRecord {
    ImageRecord(
        id: id,
        manifest: Descriptor(mediaType: MediaType.ociManifest, digest: manifest ?? digest(of: "manifest of \(id)"), size: 512),
        layers: layers.map { Descriptor(mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $0, size: 1024) },
        diffIDs: layers, created: created, size: 4096, added: added, repoDigests: repoDigests)
}

func ref(_ s: String) throws -> Reference { try Reference(parsing: s) }
