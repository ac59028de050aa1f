import BerthRuntime
import BerthStore
import Foundation

/// dockerd's `--userns-remap`: containers run in a user namespace where their root is an
/// unprivileged host id. `default` uses (and, like dockerd with `dockremap`, creates) the
/// subordinate ranges of the `berthremap` name in /etc/subuid and /etc/subgid; `USER[:GROUP]`
/// uses that user's ranges; `HOSTID:SIZE` (berth's own form) names one range for both.
public struct UserNamespaceRemap: Sendable, Equatable {
    public var uid: ContainerSpec.IDMap
    public var gid: ContainerSpec.IDMap

    public static let defaultName = "berthremap"
    static let defaultSize: UInt32 = 65536

    public init(uid: ContainerSpec.IDMap, gid: ContainerSpec.IDMap) {
        self.uid = uid
        self.gid = gid
    }

    /// Parses the flag's value, reading (for `default`, possibly appending to) the subid files.
    public static func parse(_ value: String, subuid: String = "/etc/subuid", subgid: String = "/etc/subgid") throws -> UserNamespaceRemap {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 2, let host = UInt32(parts[0]), let size = UInt32(parts[1]) {
            guard host > 0, size > 0, UInt64(host) + UInt64(size) <= UInt64(UInt32.max) else {
                throw EngineError(.invalid, "--userns-remap \(value): the range must start above 0 and fit in 32 bits")
            }
            let map = ContainerSpec.IDMap(containerID: 0, hostID: host, size: size)
            return UserNamespaceRemap(uid: map, gid: map)
        }
        let user = value == "default" ? defaultName : parts[0]
        let group = value == "default" ? defaultName : (parts.count > 1 ? parts[1] : user)
        guard !user.isEmpty, parts.count <= 2 else {
            throw EngineError(.invalid, "--userns-remap \(value): expected default, USER[:GROUP] or HOSTID:SIZE")
        }
        if value == "default" {
            try ensureRange(for: user, in: subuid)
            try ensureRange(for: group, in: subgid)
        }
        guard let uid = try range(for: user, in: subuid) else {
            throw EngineError(.invalid, "--userns-remap \(value): \(subuid) has no range for \(user); add a line \(user):100000:65536")
        }
        guard let gid = try range(for: group, in: subgid) else {
            throw EngineError(.invalid, "--userns-remap \(value): \(subgid) has no range for \(group); add a line \(group):100000:65536")
        }
        return UserNamespaceRemap(uid: uid, gid: gid)
    }

    /// The first `name:start:count` line of a subid file (names only, as shadow-utils writes them).
    static func range(for name: String, in file: String) throws -> ContainerSpec.IDMap? {
        for line in (try? String(contentsOfFile: file, encoding: .utf8))?.split(separator: "\n") ?? [] {
            let f = line.split(separator: ":").map(String.init)
            guard f.count == 3, f[0] == name, let start = UInt32(f[1]), let count = UInt32(f[2]), count > 0 else { continue }
            return ContainerSpec.IDMap(containerID: 0, hostID: start, size: count)
        }
        return nil
    }

    /// Appends a 65536-id range for `name` after every range the file already hands out.
    static func ensureRange(for name: String, in file: String) throws {
        guard try range(for: name, in: file) == nil else { return }
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        var next: UInt64 = 100_000
        for line in text.split(separator: "\n") {
            let f = line.split(separator: ":")
            if f.count == 3, let s = UInt64(f[1]), let c = UInt64(f[2]) { next = max(next, s + c) }
        }
        guard next + UInt64(defaultSize) <= UInt64(UInt32.max) else {
            throw EngineError(.invalid, "\(file) has no room left for a range for \(name)")
        }
        let line = "\(name):\(next):\(defaultSize)\n"
        let joined = text.isEmpty || text.hasSuffix("\n") ? text + line : text + "\n" + line
        try FileSystem.writeAtomically(Data(joined.utf8), to: file)
    }
}

extension Engine {
    /// Whether container `r` runs in the daemon's remapped user namespace.
    func remapsUsers(_ r: ContainerRecord) -> Bool {
        userNamespaceRemap != nil && r.hostConfig.UsernsMode != "host"
    }

    /// The spec's user namespace for `r` (nil: the host's).
    func userNamespace(_ r: ContainerRecord, bundle: String) -> ContainerSpec.UserNamespace? {
        guard let remap = userNamespaceRemap, remapsUsers(r) else { return nil }
        return ContainerSpec.UserNamespace(uidMap: [remap.uid], gidMap: [remap.gid], stagingDir: "\(bundle)/userns")
    }

    /// Docker's rules for `--userns` and what a remapped container may not share with the host.
    func validateUserNamespace(_ h: DockerHostConfig) throws(EngineError) {
        let mode = h.UsernsMode ?? ""
        guard mode.isEmpty || mode == "host" else {
            throw EngineError(.invalid, "invalid USER mode \"\(mode)\": --userns only takes host (to opt out of the daemon's --userns-remap)")
        }
        guard userNamespaceRemap != nil, mode.isEmpty else { return }
        if h.Privileged ?? false {
            throw EngineError(.invalid, "privileged mode is incompatible with user namespaces; run the container with --userns=host to use --privileged")
        }
        if h.NetworkMode == "host" {
            throw EngineError(.invalid, "cannot share the host's network namespace when user namespaces are enabled; add --userns=host")
        }
    }
}
