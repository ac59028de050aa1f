import BerthOCI
import Foundation
import Testing

@testable import BerthStore

@Suite struct ImageStoreTests {
    // MARK: persistence

    @Test func imagesAndTagsSurviveAReload() async throws {
        let tmp = try TempDir()
        let path = tmp.at("images.json")
        let store = try ImageStore(path: path)
        // Sub-second dates, as `Date()` and Go's RFC 3339 timestamps give them.
        let a = record(
            id: digest(of: "config a"), layers: [digest(of: "l1"), digest(of: "l2")],
            added: Date(), created: Date(timeIntervalSince1970: 1_700_000_000.123),
            repoDigests: ["busybox@\(digest(of: "manifest a"))"])
        let b = record(id: digest(of: "config b"), added: Date(timeIntervalSince1970: 1_600_000_000.5), created: nil)
        try await store.add(a, tags: [ref("busybox"), ref("busybox:1.36")])
        try await store.add(b, tags: [ref("localhost:5000/team/app:v1")])

        let reloaded = try ImageStore(path: path)
        #expect(await reloaded.image(a.id) == a)
        #expect(await reloaded.image(b.id) == b)
        #expect(Set(await reloaded.images()) == [a, b])
        #expect(try await reloaded.tags(of: a.id) == [ref("busybox:1.36"), ref("busybox:latest")])
        #expect(try await reloaded.tags(of: b.id) == [ref("localhost:5000/team/app:v1")])
        #expect(try await reloaded.resolve("busybox").id == a.id)
        #expect(await reloaded.allTags().count == 3)
    }

    @Test func indexWithWholeSecondDatesStillLoads() async throws {
        let tmp = try TempDir()
        let id = digest(of: "config")
        let layer = digest(of: "layer")
        let json = """
        {"images":{"\(id)":{"id":"\(id)","manifest":{"mediaType":"\(MediaType.ociManifest)","digest":"\(digest(of: "m"))","size":2},
        "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"\(layer)","size":3}],"diffIDs":["\(layer)"],
        "created":"2023-11-14T22:13:20Z","size":10,"added":"2024-05-01T12:00:00Z","repoDigests":[]}},
        "tags":{"docker.io/library/busybox:latest":"\(id)"}}
        """
        try Data(json.utf8).write(to: URL(fileURLWithPath: tmp.at("images.json")))
        let store = try ImageStore(path: tmp.at("images.json"))
        let img = try #require(await store.image(id))
        #expect(img.created == Date(timeIntervalSince1970: 1_700_000_000))
        #expect(img.added == Date(timeIntervalSince1970: 1_714_564_800))
        #expect(img.diffIDs == [layer])
        #expect(try await store.resolve("busybox").id == id)
    }

    @Test func missingIndexStartsEmpty() async throws {
        let tmp = try TempDir()
        let store = try ImageStore(path: tmp.at("images.json"))
        #expect(await store.images().isEmpty)
        #expect(await store.allTags().isEmpty)
    }

    @Test(arguments: ["", "not json", "{\"images\": 5, \"tags\": {}}", "{\"images\": {}, \"tags\": {\"busybox\": \"sha256:nothex\"}}"])
    func corruptIndexIsReportedWithItsPath(content: String) throws {
        let tmp = try TempDir()
        let path = tmp.at("images.json")
        try Data(content.utf8).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: StoreError.self) { try ImageStore(path: path) }
        #expect(error?.message.contains(path) == true)
        // The evidence is left in place for the user to inspect.
        #expect(FileManager.default.contents(atPath: path) == Data(content.utf8))
    }

    @Test func failedWriteToAMissingDirectoryChangesNothing() async throws {
        let tmp = try TempDir()
        let store = try ImageStore(path: tmp.at("no/such/dir/images.json"))
        let a = record(id: digest(of: "a"))
        let error = await #expect(throws: StoreError.self) { try await store.add(a, tags: [ref("busybox")]) }
        #expect(error?.code == .io)
        #expect(await store.images().isEmpty)
        #expect(await store.allTags().isEmpty)
        await #expect(throws: StoreError.self) { try await store.resolve("busybox") }
    }

    enum Mutation: String, Sendable, CaseIterable, CustomStringConvertible {
        case addNew, retag, tag, untag, delete
        var description: String { rawValue }
    }

    @Test(arguments: Mutation.allCases)
    func failedWriteLeavesTheIndexAsItWas(mutation: Mutation) async throws {
        let tmp = try TempDir()
        try FileManager.default.createDirectory(atPath: tmp.at("index"), withIntermediateDirectories: false)
        let store = try ImageStore(path: tmp.at("index/images.json"))
        let a = record(id: digest(of: "a"))
        let b = record(id: digest(of: "b"))
        try await store.add(a, tags: [ref("busybox")])
        try await store.add(b, tags: [ref("alpine")])
        try FileManager.default.removeItem(atPath: tmp.at("index"))

        let error = await #expect(throws: StoreError.self) {
            switch mutation {
            case .addNew: try await store.add(record(id: digest(of: "c")), tags: [ref("busybox")])
            case .retag: try await store.add(b, tags: [ref("busybox")])
            case .tag: try await store.tag(a.id, as: ref("busybox:2"))
            case .untag: try await store.untag(ref("busybox"))
            case .delete: try await store.delete(a.id)
            }
        }
        #expect(error?.code == .io)
        #expect(Set(await store.images()) == [a, b])
        #expect(try await store.tags(of: a.id) == [ref("busybox:latest")])
        #expect(try await store.tags(of: b.id) == [ref("alpine:latest")])
        #expect(try await store.resolve("busybox").id == a.id)
    }

    // MARK: tags

    @Test func addReturnsTheTagsItMovedFromAnotherImage() async throws {
        let tmp = try TempDir()
        let store = try ImageStore(path: tmp.at("images.json"))
        let old = record(id: digest(of: "old"))
        let new = record(id: digest(of: "new"))
        #expect(try await store.add(old, tags: [ref("busybox:latest"), ref("busybox:1")]).isEmpty)
        let moved = try await store.add(new, tags: [ref("busybox:latest"), ref("busybox:2")])
        #expect(moved.map(\.description) == ["docker.io/library/busybox:latest"])
        #expect(try await store.tags(of: old.id) == [ref("busybox:1")])
        #expect(try await store.tags(of: new.id) == [ref("busybox:2"), ref("busybox:latest")])
        #expect(try await store.resolve("busybox").id == new.id)
        // The untagged image stays, reachable by its remaining tag and its id.
        #expect(try await store.resolve("busybox:1").id == old.id)
        // Re-adding with a tag it already has moves nothing.
        #expect(try await store.add(new, tags: [ref("busybox:2")]).isEmpty)
    }

    @Test func readdingAnImageKeepsWhenItWasAddedAndMergesRepoDigests() async throws {
        let tmp = try TempDir()
        let store = try ImageStore(path: tmp.at("images.json"))
        let first = record(id: digest(of: "a"), added: Date(timeIntervalSince1970: 1_600_000_000), repoDigests: ["busybox@\(digest(of: "m1"))"])
        var again = first
        again.added = Date(timeIntervalSince1970: 1_700_000_000)
        again.repoDigests = ["registry.example/busybox@\(digest(of: "m2"))"]
        try await store.add(first, tags: [])
        try await store.add(again, tags: [])
        let img = try #require(await store.image(first.id))
        #expect(img.added == first.added)
        #expect(Set(img.repoDigests) == ["busybox@\(digest(of: "m1"))", "registry.example/busybox@\(digest(of: "m2"))"])
        #expect(await store.images().count == 1)
    }

    @Test func tagPointsANewNameAtAnExistingImage() async throws {
        let tmp = try TempDir()
        let store = try ImageStore(path: tmp.at("images.json"))
        let a = record(id: digest(of: "a"))
        try await store.add(a, tags: [])
        try await store.tag(a.id, as: ref("myapp"))
        #expect(try await store.resolve("myapp:latest").id == a.id)
        #expect(try await ImageStore(path: tmp.at("images.json")).resolve("myapp").id == a.id)
        let error = await #expect(throws: StoreError.self) { try await store.tag(digest(of: "nope"), as: ref("other")) }
        #expect(error?.code == .notFound)
        await #expect(throws: StoreError.self) { try await store.resolve("other") }
    }

    @Test func untagRemovesOnlyTheTag() async throws {
        let tmp = try TempDir()
        let store = try ImageStore(path: tmp.at("images.json"))
        let a = record(id: digest(of: "a"))
        try await store.add(a, tags: [ref("busybox"), ref("busybox:1")])
        #expect(try await store.untag(ref("busybox")) == a.id)
        let error = await #expect(throws: StoreError.self) { try await store.resolve("busybox") }
        #expect(error?.code == .notFound)
        #expect(try await store.resolve(a.id.description).id == a.id)
        #expect(try await store.tags(of: a.id) == [ref("busybox:1")])
        #expect(try await ImageStore(path: tmp.at("images.json")).tags(of: a.id) == [ref("busybox:1")])

        let again = await #expect(throws: StoreError.self) { try await store.untag(ref("busybox")) }
        #expect(again?.code == .notFound)
        #expect(again?.message.hasPrefix("No such image: busybox") == true)
    }

    @Test func deleteRemovesTheImageAndEveryTagOnIt() async throws {
        let tmp = try TempDir()
        let store = try ImageStore(path: tmp.at("images.json"))
        let a = record(id: digest(of: "a"))
        let b = record(id: digest(of: "b"))
        try await store.add(a, tags: [ref("busybox"), ref("busybox:1"), ref("localhost:5000/busybox:x")])
        try await store.add(b, tags: [ref("alpine")])
        try await store.delete(a.id)
        for s in [store, try ImageStore(path: tmp.at("images.json"))] {
            #expect(await s.image(a.id) == nil)
            #expect(await s.tags(of: a.id).isEmpty)
            #expect(await s.images() == [b])
            #expect(await s.allTags().map(\.0.description) == ["docker.io/library/alpine:latest"])
        }
    }

    // MARK: resolution

    struct Fixture {
        let store: ImageStore
        let a: ImageRecord
        let b: ImageRecord
        let c: ImageRecord
        let aa: ImageRecord
        /// Manifest digests under which the registry knows a, b and c.
        let ma = digest(of: "manifest a")
        let mb = digest(of: "manifest b")
        let mc = digest(of: "manifest c")

        init(_ tmp: TempDir) async throws {
            store = try ImageStore(path: tmp.at("images.json"))
            // Docker's API shows RepoDigests in familiar form; either form must resolve.
            a = record(id: try digest(prefix: "aaaa1"), repoDigests: ["busybox@\(digest(of: "manifest a"))"])
            b = record(id: try digest(prefix: "bbbb"), repoDigests: ["localhost:5000/team/app@\(digest(of: "manifest b"))"])
            c = record(id: try digest(prefix: "cccc"), repoDigests: ["docker.io/library/alpine@\(digest(of: "manifest c"))"])
            aa = record(id: try digest(prefix: "aaaa2"))
            try await store.add(a, tags: [ref("busybox")])
            try await store.add(b, tags: [ref("localhost:5000/team/app:v1")])
            try await store.add(c, tags: [ref("alpine:3.20")])
            try await store.add(aa, tags: [])
        }

        func expected(_ which: String) -> ImageRecord? {
            ["a": a, "b": b, "c": c, "aa": aa][which]
        }

        /// Placeholders: `@A` the full id of a, `@MA` its manifest digest, and so on.
        func expand(_ s: String) -> String {
            s.replacingOccurrences(of: "@MA", with: "@\(ma)").replacingOccurrences(of: "@MB", with: "@\(mb)")
                .replacingOccurrences(of: "@MC", with: "@\(mc)").replacingOccurrences(of: "@A", with: a.id.encoded)
        }
    }

    static let resolvable: [(String, String)] = [
        ("sha256:@A", "a"),
        ("@A", "a"),
        ("aaaa1", "a"),
        ("sha256:aaaa1", "a"),
        ("aaaa2", "aa"),
        ("cccc", "c"),
        ("b", "b"),
        ("busybox", "a"),
        ("busybox:latest", "a"),
        ("library/busybox", "a"),
        ("docker.io/library/busybox:latest", "a"),
        ("index.docker.io/library/busybox", "a"),
        ("localhost:5000/team/app:v1", "b"),
        ("alpine:3.20", "c"),
        ("docker.io/library/alpine:3.20", "c"),
        ("busybox@MA", "a"),
        ("docker.io/library/busybox@MA", "a"),
        ("alpine@MC", "c"),
        ("docker.io/library/alpine@MC", "c"),
        ("localhost:5000/team/app@MB", "b"),
    ]

    @Test(arguments: resolvable)
    func resolvesTheWayDockerDoes(name: String, which: String) async throws {
        let tmp = try TempDir()
        let f = try await Fixture(tmp)
        let found = try await f.store.resolve(f.expand(name))
        #expect(found == f.expected(which))
    }

    @Test(arguments: ["aaaa", "sha256:aaaa", "a"])
    func ambiguousIdPrefixIsAConflict(prefix: String) async throws {
        let tmp = try TempDir()
        let f = try await Fixture(tmp)
        let error = await #expect(throws: StoreError.self) { try await f.store.resolve(prefix) }
        #expect(error?.code == .conflict)
        #expect(error?.message.contains("ambiguous") == true)
    }

    static let unknown = [
        "nosuch", "nosuch:tag", "busybox:1.0", "dddd", "sha256:\(String(repeating: "f", count: 64))",
        String(repeating: "f", count: 64), "alpine@MA", "busybox@MC", "Busybox", "", "sha256:",
    ]

    @Test(arguments: unknown)
    func unknownNameIsNotFound(name: String) async throws {
        let tmp = try TempDir()
        let f = try await Fixture(tmp)
        let input = f.expand(name)
        let error = await #expect(throws: StoreError.self) { try await f.store.resolve(input) }
        #expect(error?.code == .notFound)
        #expect(error?.message == "No such image: \(input)")
    }
}
