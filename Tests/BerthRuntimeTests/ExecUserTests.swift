import Testing
@testable import BerthRuntime

struct ExecUserTests {
    static let passwd = """
        root:x:0:0:root:/root:/bin/sh
        # a comment
        app:x:1000:1000:App:/home/app:/bin/sh
        nobody:x:65534:65534::/nonexistent:/bin/sh
        """
    static let group = """
        root:x:0:root
        wheel:x:10:root,app
        app:x:1000:
        docker:x:999:app
        nogroup:x:65534:
        """

    @Test(arguments: [
        ("", ExecUser(uid: 0, gid: 0, supplementaryGroups: [0, 10], home: "/root")),
        ("app", ExecUser(uid: 1000, gid: 1000, supplementaryGroups: [1000, 10, 999], home: "/home/app")),
        ("1000", ExecUser(uid: 1000, gid: 1000, supplementaryGroups: [1000, 10, 999], home: "/home/app")),
        ("app:docker", ExecUser(uid: 1000, gid: 999, supplementaryGroups: [999], home: "/home/app")),
        ("app:5", ExecUser(uid: 1000, gid: 5, supplementaryGroups: [5], home: "/home/app")),
        ("4242", ExecUser(uid: 4242, gid: 0, supplementaryGroups: [0], home: "/")),
        ("4242:4243", ExecUser(uid: 4242, gid: 4243, supplementaryGroups: [4243], home: "/")),
    ])
    func resolvesDockerUserSpecs(spec: String, expected: ExecUser) throws {
        #expect(try ExecUser.resolve(spec, passwd: Self.passwd, group: Self.group) == expected)
    }

    @Test func additionalGroupsByNameAndNumberAreAppended() throws {
        let user = try ExecUser.resolve("nobody", additionalGroups: ["wheel", "777"], passwd: Self.passwd, group: Self.group)
        #expect(user.supplementaryGroups == [65534, 10, 777])
    }

    @Test func numericIdsWorkWithoutAccountFiles() throws {
        #expect(try ExecUser.resolve("12:34", passwd: nil, group: nil) == ExecUser(uid: 12, gid: 34, supplementaryGroups: [34], home: "/"))
    }

    @Test(arguments: [
        ("bob", "unable to find user bob: no matching entries in passwd file"),
        ("app:nogroup2", "unable to find group nogroup2: no matching entries in group file"),
        ("2147483648", "uids and gids must be in range 0-2147483647"),
        ("0:99999999999", "uids and gids must be in range 0-2147483647"),
    ])
    func rejectsWithDockersMessages(spec: String, message: String) {
        #expect(throws: RuntimeError.self) { try ExecUser.resolve(spec, passwd: Self.passwd, group: Self.group) }
        do {
            _ = try ExecUser.resolve(spec, passwd: Self.passwd, group: Self.group)
        } catch {
            #expect(error.message == message)
        }
    }

    @Test func namedUserNeedsAPasswdFile() {
        #expect(throws: RuntimeError.self) { try ExecUser.resolve("app", passwd: nil, group: nil) }
    }
}
