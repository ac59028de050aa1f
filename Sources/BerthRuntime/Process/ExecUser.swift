/// The user a container process runs as, resolved from Docker's `--user` against the
/// container's own /etc/passwd and /etc/group (moby/sys/user `GetExecUser` semantics).
public struct ExecUser: Sendable, Equatable {
    public var uid: UInt32
    public var gid: UInt32
    /// Supplementary groups: the primary group (always, as containerd and moby do since
    /// CVE-2023-25173 / CVE-2022-36109), the groups listing the user unless a group was given,
    /// then `--group-add`.
    public var supplementaryGroups: [UInt32]
    public var home: String

    public init(uid: UInt32, gid: UInt32, supplementaryGroups: [UInt32], home: String) {
        self.uid = uid
        self.gid = gid
        self.supplementaryGroups = supplementaryGroups
        self.home = home
    }

    /// Resolves `spec` (`""`, `uid`, `uid:gid`, `name`, `name:group`) and `additionalGroups`.
    /// `passwd` and `group` are the files' contents, nil when the file is missing.
    public static func resolve(_ spec: String, additionalGroups: [String] = [],
                               passwd: String?, group: String?) throws(RuntimeError) -> ExecUser {
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let userArg = parts.first.map(String.init) ?? ""
        let groupArg = parts.count > 1 ? String(parts[1]) : ""
        let users = passwd.map(PasswdEntry.parse) ?? []
        let groups = group.map(GroupEntry.parse) ?? []

        var result = ExecUser(uid: 0, gid: 0, supplementaryGroups: [], home: "/")
        var userName: String?
        let numericUser = try numericID(userArg)
        if userArg.isEmpty {
            if let root = users.first(where: { $0.uid == 0 }) {
                result.gid = root.gid
                result.home = root.home
                userName = root.name
            }
        } else if let entry = users.first(where: { $0.name == userArg })
                    ?? numericUser.flatMap({ uid in users.first(where: { $0.uid == uid }) }) {
            result.uid = entry.uid
            result.gid = entry.gid
            result.home = entry.home
            userName = entry.name
        } else if let uid = numericUser {
            result.uid = uid
        } else {
            throw RuntimeError(.notFound, "unable to find user \(userArg): no matching entries in passwd file")
        }

        if !groupArg.isEmpty {
            result.gid = try lookupGroup(groupArg, in: groups)
        } else if let name = userName {
            result.supplementaryGroups = groups.filter { $0.members.contains(name) }.map(\.gid)
        }
        var supplementary = [result.gid]
        for extra in try additionalGroups.map({ arg throws(RuntimeError) in try lookupGroup(arg, in: groups) }) {
            result.supplementaryGroups.append(extra)
        }
        var seen: Set<UInt32> = [result.gid]  // an image may list tens of thousands of groups
        for gid in result.supplementaryGroups where seen.insert(gid).inserted { supplementary.append(gid) }
        result.supplementaryGroups = supplementary
        return result
    }

    private static func lookupGroup(_ arg: String, in groups: [GroupEntry]) throws(RuntimeError) -> UInt32 {
        if let entry = groups.first(where: { $0.name == arg }) { return entry.gid }
        if let gid = try numericID(arg) { return gid }
        throw RuntimeError(.notFound, "unable to find group \(arg): no matching entries in group file")
    }

    /// A numeric uid/gid in 0...2^31-1 (CVE-2024-40635: `2147483648` must not wrap to root).
    static func numericID(_ text: String) throws(RuntimeError) -> UInt32? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        guard text.count <= 10, let value = UInt64(text), value <= UInt64(Int32.max) else {
            throw RuntimeError(.invalidArgument, "uids and gids must be in range 0-\(Int32.max)")
        }
        return UInt32(value)
    }
}

/// One line of /etc/passwd.
struct PasswdEntry: Equatable {
    var name: String
    var uid: UInt32
    var gid: UInt32
    var home: String

    static func parse(_ text: String) -> [PasswdEntry] {
        text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            guard f.count >= 6, !line.hasPrefix("#"),
                  let uid = UInt32(f[2]), let gid = UInt32(f[3]) else { return nil }
            return PasswdEntry(name: String(f[0]), uid: uid, gid: gid, home: String(f[5]))
        }
    }
}

/// One line of /etc/group.
struct GroupEntry: Equatable {
    var name: String
    var gid: UInt32
    var members: [String]

    static func parse(_ text: String) -> [GroupEntry] {
        text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            guard f.count >= 3, !line.hasPrefix("#"), let gid = UInt32(f[2]) else { return nil }
            let members = f.count > 3 ? f[3].split(separator: ",").map(String.init) : []
            return GroupEntry(name: String(f[0]), gid: gid, members: members)
        }
    }
}
