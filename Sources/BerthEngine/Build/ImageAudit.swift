import BerthArchive
import BerthOCI
import Foundation
import Glibc

/// `berth image audit`: per layer, the bytes it adds, the bytes of those that later layers hide
/// (replace, delete, or bury under an opaque directory) — still shipped, never seen — and its
/// largest files.
public struct LayerAudit: Sendable {
    public var diffID: Digest
    public var createdBy: String
    public var addedBytes: Int64
    public var hiddenBytes: Int64
    public var files: Int
    /// Path and size, largest first.
    public var largest: [(path: String, size: Int64)]
}

extension Engine {
    public func auditImage(_ name: String, top: Int = 5) async throws -> [LayerAudit] {
        let record = try await images.resolve(name)
        let config = try ImageConfig.decode(try content.read(record.id))
        let dirs = record.chainIDs.map { snapshots.diffPath($0) }
        let createdBy = (config.history ?? []).filter { $0.emptyLayer != true }.map { $0.createdBy ?? "" }
        return try await Blocking.run {
            let layers = dirs.map(LayerEntries.scan)
            return layers.enumerated().map { i, layer in
                var hidden: Int64 = 0
                for (path, size) in layer.files where layers[(i + 1)...].contains(where: { $0.hides(path) }) { hidden += size }
                let largest = layer.files.sorted { $0.value > $1.value }.prefix(top).map { (path: $0.key, size: $0.value) }
                return LayerAudit(diffID: record.diffIDs[i], createdBy: i < createdBy.count ? createdBy[i] : "",
                                  addedBytes: layer.files.values.reduce(0, +), hiddenBytes: hidden, files: layer.files.count, largest: Array(largest))
            }
        }
    }
}

/// What one overlay-form layer dir holds, for the audit.
struct LayerEntries {
    /// Regular files and their sizes.
    var files: [String: Int64] = [:]
    /// Every path the layer has an entry for, with whether it is a directory (whiteouts: not).
    var entries: [String: Bool] = [:]
    var opaque: Set<String> = []

    static func scan(_ root: String) -> LayerEntries {
        var out = LayerEntries()
        func walk(_ rel: String) {
            let dir = rel.isEmpty ? root : "\(root)/\(rel)"
            for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
                let path = rel.isEmpty ? name : "\(rel)/\(name)"
                var st = stat()
                guard lstat("\(root)/\(path)", &st) == 0 else { continue }
                let isDir = (st.st_mode & S_IFMT) == S_IFDIR
                out.entries[path] = isDir
                if (st.st_mode & S_IFMT) == S_IFREG { out.files[path] = Int64(st.st_size) }
                if isDir {
                    let fd = open("\(root)/\(path)", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                    if fd >= 0 {
                        if LayerView.isOpaque(fd, ".") { out.opaque.insert(path) }
                        close(fd)
                    }
                    walk(path)
                }
            }
        }
        walk("")
        return out
    }

    /// Whether this (later) layer hides `path` of an earlier one.
    func hides(_ path: String) -> Bool {
        if entries[path] != nil { return true }
        var ancestor = Substring(path)
        while let slash = ancestor.lastIndex(of: "/") {
            ancestor = ancestor[..<slash]
            let a = String(ancestor)
            if entries[a] == false || opaque.contains(a) { return true }
        }
        return false
    }
}
