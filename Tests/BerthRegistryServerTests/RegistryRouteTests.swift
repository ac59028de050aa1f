@testable import BerthRegistryServer
import Testing

@Suite struct RegistryRouteTests {
    /// `_catalog` pages hold at most 1000 names whatever `n` asks; tag lists take `n` as given.
    @Test func catalogPagesAreCappedAndLinkToTheNext() throws {
        let names = (0..<2500).map { String(format: "r%05d", $0) }
        let (page, link) = try RegistryHandler.page(names, last: nil, n: "1000000000", path: "/v2/_catalog", defaultLimit: RegistryHandler.pageLimit)
        #expect(page.count == 1000 && page.last == "r00999")
        #expect(link == #"</v2/_catalog?n=1000&last=r00999>; rel="next""#)
        let (tail, end) = try RegistryHandler.page(names, last: "r01999", n: "5000", path: "/v2/_catalog", defaultLimit: RegistryHandler.pageLimit)
        #expect(tail.count == 500 && end == nil)
        #expect(try RegistryHandler.page(names, last: nil, n: "2000", path: "/v2/x/tags/list", defaultLimit: nil).0.count == 2000)
        #expect(throws: RegistryError.self) { try RegistryHandler.page(names, last: nil, n: "1e9", path: "/v2/_catalog", defaultLimit: 1000) }
    }

    /// A chunk's Content-Range: what a client sends, and what must be refused rather than crash.
    @Test func chunkRangesParseOrAreRefused() {
        #expect(RegistryHandler.chunkRange("0-99")! == (0, 99))
        #expect(RegistryHandler.chunkRange("bytes 100-199/1000")! == (100, 199))
        #expect(RegistryHandler.chunkRange("5-4")! == (5, 4), "an empty chunk")
        for bad in ["", "/", "///", "-", "a-b", "1-", "-1", "10-2", "1-2-3", "bytes ", "-5--1", "99999999999999999999-1"] {
            #expect(RegistryHandler.chunkRange(bad) == nil, "\(bad.debugDescription)")
        }
    }

    @Test(arguments: [
        ("/v2/", RegistryRoute.ping),
        ("/v2", .ping),
        ("/v2/_catalog", .catalog),
        ("/v2/library/busybox/tags/list", .tags(name: "library/busybox")),
        ("/v2/a/manifests/latest", .manifest(name: "a", reference: "latest")),
        ("/v2/a/b/c/manifests/sha256:abc", .manifest(name: "a/b/c", reference: "sha256:abc")),
        ("/v2/a/blobs/sha256:abc", .blob(name: "a", digest: "sha256:abc")),
        ("/v2/a/blobs/uploads/", .uploadStart(name: "a")),
        ("/v2/a/blobs/uploads", .uploadStart(name: "a")),
        ("/v2/x/y/blobs/uploads/1234", .upload(name: "x/y", id: "1234")),
        ("/v2/a/referrers/sha256:abc", .referrers(name: "a", digest: "sha256:abc")),
        // A repository may itself be called "manifests" or "blobs": the path is matched from its end.
        ("/v2/manifests/manifests/latest", .manifest(name: "manifests", reference: "latest")),
    ])
    func pathsMatchFromTheirEnd(path: String, route: RegistryRoute) {
        #expect(RegistryRoute(path: path) == route)
    }

    @Test(arguments: ["/", "/v1/_ping", "/v2/manifests/latest", "/v2/a/unknown"])
    func otherPathsAreNoRoute(path: String) {
        #expect(RegistryRoute(path: path) == nil)
    }

    @Test(arguments: [
        ("busybox", true), ("library/busybox", true), ("a.b_c__d-e--f/g", true), ("a/b/c/d", true),
        ("", false), ("Busybox", false), ("a//b", false), ("-a", false), ("a-", false), ("a___b", false), ("a/_x", false), ("a..b", false),
    ])
    func repositoryNamesFollowTheSpecGrammar(name: String, valid: Bool) {
        #expect(RegistryNames.isValidRepository(name) == valid, "\(name)")
    }

    @Test(arguments: [("latest", true), ("v1.2-rc_3", true), ("_x", true), (".x", false), ("-x", false), ("a:b", false), (String(repeating: "a", count: 129), false)])
    func tagsFollowTheSpecGrammar(tag: String, valid: Bool) {
        #expect(RegistryNames.isValidTag(tag) == valid)
    }

    @Test(arguments: [
        ("bytes=0-9", Int64(100), (Int64(0), Int64(9)) as (Int64, Int64)?),
        ("bytes=90-", 100, (90, 99)),
        ("bytes=90-200", 100, (90, 99)),
        ("bytes=-10", 100, (90, 99)),
        ("bytes=100-", 100, nil),
        ("bytes=5-4", 100, nil),
        ("bytes=0-1,3-4", 100, nil),
        ("items=0-1", 100, nil),
    ])
    func rangesAreClippedOrRefused(header: String, size: Int64, expected: (Int64, Int64)?) {
        let got = RegistryHandler.parseRange(header, size: size)
        #expect(got?.0 == expected?.0 && got?.1 == expected?.1, "\(header)")
    }

    @Test func bcryptHashesFromHtpasswdVerify() {
        // htpasswd -nbB alice s3cret
        let hash = "$2y$05$jZqkuHw18pZcGFnhX7G8NulIL9BgkztvIVXZQ1XBtbOZgedNFcJDa"
        #expect(Htpasswd.bcryptMatches(password: "s3cret", hash: hash))
        #expect(!Htpasswd.bcryptMatches(password: "s3cret ", hash: hash))
        #expect(!Htpasswd.bcryptMatches(password: "wrong", hash: hash))
    }
}
