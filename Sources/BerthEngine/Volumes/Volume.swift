import Foundation

/// A local volume as berthd keeps it in `volumes/<name>/volume.json`; its files are in
/// `volumes/<name>/_data`.
public struct Volume: Codable, Sendable, Equatable {
    public let name: String
    /// Always `local`: the only driver berthd has.
    public let driver: String
    /// nil when none were given (Docker answers `"Labels": null` then).
    public let labels: [String: String]?
    /// Driver options; berthd's local driver takes none, so this stays nil.
    public let options: [String: String]?
    public let created: Date

    /// The label Docker 23+ puts on volumes created without a name (`-v /path`, an image's
    /// `VOLUME`); `volume prune` removes only those unless asked for all.
    public static let anonymousLabel = "com.docker.volume.anonymous"
    public static let localDriver = "local"

    public var isAnonymous: Bool { labels?[Self.anonymousLabel] != nil }

    /// Docker's rule for local volume names: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`, which also keeps a
    /// name a plain directory name (no `/`, never `.` or `..`).
    public static func validate(_ name: String) throws(EngineError) {
        let u = Array(name.utf8)
        func alnum(_ c: UInt8) -> Bool { (0x30...0x39).contains(c) || (0x41...0x5a).contains(c) || (0x61...0x7a).contains(c) }
        if u.count == 1 {
            throw EngineError(.invalid, "create \(name): volume name is too short, names should be at least two alphanumeric characters")
        }
        guard let first = u.first, alnum(first),
              u.dropFirst().allSatisfy({ alnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }) else {
            throw EngineError(.invalid, "create \(name): \"\(name)\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path")
        }
        guard u.count <= 255 else {
            throw EngineError(.invalid, "create \(name.prefix(32))…: volume name is \(u.count) bytes long; at most 255 fit in a directory name")
        }
    }

    /// A fresh name for an anonymous volume: 64 hex digits, like Docker's.
    static func anonymousName() -> String {
        (0..<4).map { _ in String(format: "%016llx", UInt64.random(in: 0...UInt64.max)) }.joined()
    }
}
