/// One mount of a container as resolved at create, from `--volumes-from`, `Binds` (`-v`),
/// `Mounts` (`--mount`) and the image's `VOLUME`s: Docker's `MountPoints`. Kept in the
/// container record; `start` mounts them, `inspect` shows them, volume users come from them.
public struct MountPoint: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case bind, volume, tmpfs }

    public var type: Kind
    /// Host path of a bind; empty for volumes (see `name`) and tmpfs.
    public var source: String
    /// The volume's name.
    public var name: String?
    /// Absolute, cleaned path inside the container.
    public var destination: String
    public var readOnly: Bool
    /// Docker's `Mode` as inspect shows it: the `-v` mode words as given (`ro`, `rw,nocopy`),
    /// `z` for a named local volume given without one, empty otherwise.
    public var mode: String
    /// Bind propagation (`rprivate` by default); empty for volumes and tmpfs.
    public var propagation: String
    /// Volumes: copy the image's content at `destination` into the volume, when it is empty, at
    /// the next start (cleared after it, so a volume emptied later is not refilled).
    public var copyData: Bool
    /// A volume made for this container without a name in its spec (`-v /data`, `VOLUME`):
    /// `rm -v` and `--rm` remove it.
    public var anonymous: Bool
    /// Binds from `-v`: create the host directory when missing (Docker's behaviour; `--mount`
    /// requires it to exist).
    public var createsSource: Bool
    /// tmpfs options (`size=…`, `mode=…`) from `--mount type=tmpfs`.
    public var tmpfsOptions: [String]

    public init(type: Kind, source: String = "", name: String? = nil, destination: String, readOnly: Bool = false,
                mode: String = "", propagation: String = "", copyData: Bool = false, anonymous: Bool = false,
                createsSource: Bool = false, tmpfsOptions: [String] = []) {
        self.type = type
        self.source = source
        self.name = name
        self.destination = destination
        self.readOnly = readOnly
        self.mode = mode
        self.propagation = propagation
        self.copyData = copyData
        self.anonymous = anonymous
        self.createsSource = createsSource
        self.tmpfsOptions = tmpfsOptions
    }

    /// `/a//b/../c/` → `/a/c`; nil when not absolute.
    static func clean(_ path: String) -> String? {
        guard path.hasPrefix("/") else { return nil }
        var out: [Substring] = []
        for part in path.split(separator: "/") {
            switch part {
            case ".": continue
            case "..": if !out.isEmpty { out.removeLast() }
            default: out.append(part)
            }
        }
        return "/" + out.joined(separator: "/")
    }
}
