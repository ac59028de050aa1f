import Testing
@testable import BerthOCI

// Cases translated from Docker's reference grammar tests, github.com/distribution/reference
// (reference_test.go, normalize_test.go, regexp_test.go). `Reference(parsing:)` follows
// ParseNormalizedNamed, so every expectation below is the *normalized* result: names without a
// registry get `docker.io/`, single-component Docker Hub names get `library/`, and no tag is added.

private let ffff = "sha256:" + String(repeating: "f", count: 64)
private let be17 = "sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912"
private let dbcc = "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"
private let hex64 = "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a"

/// One input that must parse, with the normalized parts it must parse to.
struct ValidReference: Sendable, CustomTestStringConvertible {
    let input: String
    let domain: String
    let path: String
    let tag: String?
    let digest: String?

    init(_ input: String, _ domain: String, _ path: String, tag: String? = nil, digest: String? = nil) {
        self.input = input
        self.domain = domain
        self.path = path
        self.tag = tag
        self.digest = digest
    }

    var normalized: String {
        var s = "\(domain)/\(path)"
        if let tag { s += ":\(tag)" }
        if let digest { s += "@\(digest)" }
        return s
    }

    var testDescription: String { input.count > 80 ? String(input.prefix(77)) + "..." : input }
}

/// An input string, shortened in test names when long.
struct Input: Sendable, CustomTestStringConvertible, ExpressibleByStringInterpolation {
    let value: String
    init(_ value: String) { self.value = value }
    init(stringLiteral value: String) { self.value = value }
    var testDescription: String { value.count > 80 ? String(value.prefix(77)) + "...(\(value.count) chars)" : value }
}

private func check(_ c: ValidReference) throws {
    let ref = try Reference(parsing: c.input)
    #expect(ref.domain == c.domain)
    #expect(ref.path == c.path)
    #expect(ref.tag == c.tag)
    #expect(ref.digest?.description == c.digest)
    #expect(ref.description == c.normalized)
    #expect(ref.repository == "\(c.domain)/\(c.path)")
    // The normalized string is itself canonical: parsing it again changes nothing.
    #expect(try Reference(parsing: ref.description) == ref)
}

private func expectInvalid(_ input: String, sourceLocation: SourceLocation = #_sourceLocation) -> OCIError? {
    let error = #expect(throws: OCIError.self, "\(input) should be rejected", sourceLocation: sourceLocation) {
        try Reference(parsing: input)
    }
    #expect(error?.code == .invalid, sourceLocation: sourceLocation)
    return error
}

@Suite struct ReferenceTests {
    // MARK: reference_test.go, TestReferenceParse

    static let referenceParseValid: [ValidReference] = [
        ValidReference("test_com", "docker.io", "library/test_com"),
        ValidReference("test.com:tag", "docker.io", "library/test.com", tag: "tag"),
        ValidReference("test.com:5000", "docker.io", "library/test.com", tag: "5000"),
        ValidReference("test.com/repo:tag", "test.com", "repo", tag: "tag"),
        ValidReference("test:5000/repo", "test:5000", "repo"),
        ValidReference("test:5000/repo:tag", "test:5000", "repo", tag: "tag"),
        ValidReference("test:5000/repo@\(ffff)", "test:5000", "repo", digest: ffff),
        ValidReference("test:5000/repo:tag@\(ffff)", "test:5000", "repo", tag: "tag", digest: ffff),
        // Docker's test rejects sha512 only because its test binary does not register the
        // algorithm; sha512 is a valid OCI digest algorithm and Berth accepts it.
        ValidReference("validname@sha512:" + String(repeating: "f", count: 128), "docker.io", "library/validname",
                       digest: "sha512:" + String(repeating: "f", count: 128)),
        // Docker marks this FIXME: an uppercase first component is taken as a registry host.
        ValidReference("Uppercase/lowercase:tag", "Uppercase", "lowercase", tag: "tag"),
        ValidReference("lowercase:Uppercase", "docker.io", "library/lowercase", tag: "Uppercase"),
        ValidReference(String(repeating: "a/", count: 127) + "a:tag-puts-this-over-max",
                       "docker.io", String(repeating: "a/", count: 127) + "a", tag: "tag-puts-this-over-max"),
        ValidReference("sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com", "bar/baz/quux"),
        ValidReference("sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com", "bar/baz/quux", tag: "some-long-tag"),
        ValidReference("b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io", "test.example.com/my-app",
                       tag: "test.example.com"),
        ValidReference("xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com", "myimage", tag: "xn--n3h.com"),
        ValidReference("xn--7o8h.com/myimage:xn--7o8h.com@\(ffff)", "xn--7o8h.com", "myimage", tag: "xn--7o8h.com", digest: ffff),
        ValidReference("foo_bar.com:8080", "docker.io", "library/foo_bar.com", tag: "8080"),
        ValidReference("foo/foo_bar.com:8080", "docker.io", "foo/foo_bar.com", tag: "8080"),
        ValidReference("192.168.1.1", "docker.io", "library/192.168.1.1"),
        ValidReference("192.168.1.1:tag", "docker.io", "library/192.168.1.1", tag: "tag"),
        ValidReference("192.168.1.1:5000", "docker.io", "library/192.168.1.1", tag: "5000"),
        ValidReference("192.168.1.1/repo", "192.168.1.1", "repo"),
        ValidReference("192.168.1.1:5000/repo", "192.168.1.1:5000", "repo"),
        ValidReference("192.168.1.1:5000/repo:5050", "192.168.1.1:5000", "repo", tag: "5050"),
        ValidReference("[2001:db8::1]/repo", "[2001:db8::1]", "repo"),
        ValidReference("[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]", "repo", tag: "tag"),
        ValidReference("[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", "repo"),
        ValidReference("[2001:db8::1]:5000/repo:tag", "[2001:db8::1]:5000", "repo", tag: "tag"),
        ValidReference("[2001:db8::1]:5000/repo@\(ffff)", "[2001:db8::1]:5000", "repo", digest: ffff),
        ValidReference("[2001:db8::1]:5000/repo:tag@\(ffff)", "[2001:db8::1]:5000", "repo", tag: "tag", digest: ffff),
        ValidReference("[2001:db8::]:5000/repo", "[2001:db8::]:5000", "repo"),
        ValidReference("[::1]:5000/repo", "[::1]:5000", "repo"),
        // The 255-character limit applies to the repository path, not to the registry host.
        ValidReference("example.com/" + String(repeating: "a", count: 255) + ":tag",
                       "example.com", String(repeating: "a", count: 255), tag: "tag"),
        // TestSerialization
        ValidReference("example.com:8000/named", "example.com:8000", "named"),
        ValidReference("example.com:8000/named:tagged", "example.com:8000", "named", tag: "tagged"),
        ValidReference("other.com/named@sha256:1234567890098765432112345667890098765432112345667890098765432112",
                       "other.com", "named", digest: "sha256:1234567890098765432112345667890098765432112345667890098765432112"),
    ]

    @Test(arguments: referenceParseValid)
    func dockerReferenceTestCasesParseToNormalizedParts(_ c: ValidReference) throws {
        try check(c)
    }

    static let referenceParseInvalid: [Input] = [
        "",
        ":justtag",
        "@\(ffff)",
        "repo@sha256:ffffffffffffffffffffffffffffffffff",
        Input("validname@invaliddigest:" + String(repeating: "f", count: 64)),
        "Uppercase:tag",
        "test:5000/Uppercase/lowercase:tag",
        Input("domain/" + String(repeating: "a", count: 256) + ":tag"),
        "aa/asdf$$^/aa",
        "[2001:db8::1]",
        "[2001:db8::1]:5000",
        "[2001:db8::1]:tag",
        "[fe80::1%eth0]:5000/repo",
        "[fe80::1%@invalidzone]:5000/repo",
    ]

    @Test(arguments: referenceParseInvalid)
    func dockerReferenceTestInvalidCasesAreRejected(_ input: Input) {
        _ = expectInvalid(input.value)
    }

    // MARK: normalize_test.go, TestValidateReferenceName and TestValidateRemoteName

    static let validNames: [Input] = [
        "docker/docker",
        "library/debian",
        "debian",
        "localhost/library/debian",
        "localhost/debian",
        "LOCALDOMAIN/library/debian",
        "LOCALDOMAIN/debian",
        "docker.io/docker/docker",
        "docker.io/library/debian",
        "docker.io/debian",
        "index.docker.io/docker/docker",
        "index.docker.io/library/debian",
        "index.docker.io/debian",
        "127.0.0.1:5000/docker/docker",
        "127.0.0.1:5000/library/debian",
        "127.0.0.1:5000/debian",
        "192.168.0.1",
        "192.168.0.1:80",
        "192.168.0.1:8/debian",
        "192.168.0.2:25000/debian",
        "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
        "[fc00::1]:5000/docker",
        "[fc00::1]:5000/docker/docker",
        "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
        // With a registry in front, 64 hex digits are a repository name, not an image id.
        "docker.io/\(hex64)",
        "Docker/docker",
        "DOCKER/docker",
        // TestValidateRemoteName
        "docker-rules/docker",
        "docker---rules/docker",
        "doc/docker",
        "d/docker",
        "jess/t",
        "dock__er/docker",
    ]

    @Test(arguments: validNames)
    func dockerValidRepositoryNamesAreAccepted(_ input: Input) throws {
        let ref = try Reference(parsing: input.value)
        #expect(ref.digest == nil)
    }

    static let invalidNames: [Input] = [
        "https://github.com/docker/docker",
        "docker/Docker",
        "-docker",
        "-docker/docker",
        "-docker.io/docker/docker",
        "docker///docker",
        "docker.io/docker/Docker",
        "docker.io/docker///docker",
        "[fc00::1]",
        "[fc00::1]:5000",
        "fc00::1:5000/debian",
        "[fe80::1%eth0]:5000/debian",
        "[2001:db8:3:4::192.0.2.33]:5000/debian",
        Input(hex64),
        // TestValidateRemoteName
        "docker-/docker",
        "-docker-/docker",
        "____/____",
        "_docker/_docker",
        "dock..er/docker",
        "dock_.er/docker",
        "dock-.er/docker",
        "docker/",
        Input(String(repeating: "this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_", count: 4) + "/docker"),
        // TestInvalidReferenceComponents
        "-foo",
    ]

    @Test(arguments: invalidNames)
    func dockerInvalidRepositoryNamesAreRejected(_ input: Input) {
        _ = expectInvalid(input.value)
    }

    // MARK: normalize_test.go, TestParseRepositoryInfo

    struct RepositoryInfo: Sendable, CustomTestStringConvertible {
        let input: String
        let domain: String
        let path: String
        let familiar: String
        let full: String
        var testDescription: String { input }
    }

    /// Each Docker case lists a familiar, a full and sometimes an ambiguous spelling; all must
    /// normalize to the same thing.
    static let repositoryInfo: [RepositoryInfo] = {
        let cases: [(path: String, familiar: String, full: String, ambiguous: String?, domain: String)] = [
            ("fooo", "localhost/fooo", "localhost/fooo", "localhost/fooo", "localhost"),
            ("fooo/bar", "localhost/fooo/bar", "localhost/fooo/bar", "localhost/fooo/bar", "localhost"),
            ("fooo", "LOCALDOMAIN/fooo", "LOCALDOMAIN/fooo", "LOCALDOMAIN/fooo", "LOCALDOMAIN"),
            ("fooo/bar", "LOCALDOMAIN/fooo/bar", "LOCALDOMAIN/fooo/bar", "LOCALDOMAIN/fooo/bar", "LOCALDOMAIN"),
            ("fooo/bar", "fooo/bar", "docker.io/fooo/bar", "index.docker.io/fooo/bar", "docker.io"),
            ("library/ubuntu", "ubuntu", "docker.io/library/ubuntu", "library/ubuntu", "docker.io"),
            ("nonlibrary/ubuntu", "nonlibrary/ubuntu", "docker.io/nonlibrary/ubuntu", nil, "docker.io"),
            ("other/library", "other/library", "docker.io/other/library", nil, "docker.io"),
            ("private/moonbase", "127.0.0.1:8000/private/moonbase", "127.0.0.1:8000/private/moonbase", nil, "127.0.0.1:8000"),
            ("privatebase", "127.0.0.1:8000/privatebase", "127.0.0.1:8000/privatebase", nil, "127.0.0.1:8000"),
            ("private/moonbase", "example.com/private/moonbase", "example.com/private/moonbase", nil, "example.com"),
            ("privatebase", "example.com/privatebase", "example.com/privatebase", nil, "example.com"),
            ("private/moonbase", "example.com:8000/private/moonbase", "example.com:8000/private/moonbase", nil, "example.com:8000"),
            ("privatebasee", "example.com:8000/privatebasee", "example.com:8000/privatebasee", nil, "example.com:8000"),
            ("library/ubuntu-12.04-base", "ubuntu-12.04-base", "docker.io/library/ubuntu-12.04-base",
             "index.docker.io/library/ubuntu-12.04-base", "docker.io"),
            ("library/foo", "foo", "docker.io/library/foo", "docker.io/foo", "docker.io"),
            ("library/foo/bar", "library/foo/bar", "docker.io/library/foo/bar", nil, "docker.io"),
            ("store/foo/bar", "store/foo/bar", "docker.io/store/foo/bar", nil, "docker.io"),
            ("bar", "Foo/bar", "Foo/bar", nil, "Foo"),
            ("bar", "FOO/bar", "FOO/bar", nil, "FOO"),
        ]
        return cases.flatMap { c in
            [c.familiar, c.full, c.ambiguous].compactMap { $0 }.map {
                RepositoryInfo(input: $0, domain: c.domain, path: c.path, familiar: c.familiar, full: c.full)
            }
        }
    }()

    @Test(arguments: repositoryInfo)
    func familiarFullAndAmbiguousSpellingsNormalizeAlike(_ c: RepositoryInfo) throws {
        let ref = try Reference(parsing: c.input)
        #expect(ref.domain == c.domain)
        #expect(ref.path == c.path)
        #expect(ref.description == c.full)
        #expect(ref.familiarRepository == c.familiar)
        #expect(ref.familiar == c.familiar)
    }

    // MARK: normalize_test.go, TestParseReferenceWithTagAndDigest

    @Test func tagAndDigestTogetherKeepBothAndFamiliarizeBack() throws {
        let short = "busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa"
        let ref = try Reference(parsing: short)
        #expect(ref.description == "docker.io/library/" + short)
        #expect(ref.tag == "latest")
        #expect(ref.digest?.encoded == "86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa")
        #expect(ref.familiar == short)
    }

    // MARK: normalize_test.go, TestParseAnyReference (the named cases) and TestNormalizedSplitHostname

    static let anyReferenceNamed: [(String, String)] = [
        ("redis", "docker.io/library/redis"),
        ("redis:latest", "docker.io/library/redis:latest"),
        ("docker.io/library/redis:latest", "docker.io/library/redis:latest"),
        ("redis@\(dbcc)", "docker.io/library/redis@\(dbcc)"),
        ("docker.io/library/redis@\(dbcc)", "docker.io/library/redis@\(dbcc)"),
        ("dmcgowan/myapp", "docker.io/dmcgowan/myapp"),
        ("dmcgowan/myapp:latest", "docker.io/dmcgowan/myapp:latest"),
        ("docker.io/mcgowan/myapp:latest", "docker.io/mcgowan/myapp:latest"),
        ("dmcgowan/myapp@\(dbcc)", "docker.io/dmcgowan/myapp@\(dbcc)"),
        ("docker.io/dmcgowan/myapp@\(dbcc)", "docker.io/dmcgowan/myapp@\(dbcc)"),
        // 63 hex digits is an ordinary name; only exactly 64 is refused as an image id.
        ("dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9",
         "docker.io/library/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9"),
        ("dbcc1", "docker.io/library/dbcc1"),
        // ParseAnyReference reads this as a digest; as a *name* it is repository "sha256" with a hex tag.
        (dbcc, "docker.io/library/\(dbcc)"),
    ]

    @Test(arguments: anyReferenceNamed)
    func namedReferencesNormalizeToDockersEquivalent(_ input: String, _ expected: String) throws {
        #expect(try Reference(parsing: input).description == expected)
    }

    static let splitHostname: [(String, String, String)] = [
        ("test.com/foo", "test.com", "foo"),
        ("test_com/foo", "docker.io", "test_com/foo"),
        ("docker/migrator", "docker.io", "docker/migrator"),
        ("test.com:8080/foo", "test.com:8080", "foo"),
        ("test-com:8080/foo", "test-com:8080", "foo"),
        ("foo", "docker.io", "library/foo"),
        ("xn--n3h.com/foo", "xn--n3h.com", "foo"),
        ("xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo"),
        ("docker.io/foo", "docker.io", "library/foo"),
        ("docker.io/library/foo", "docker.io", "library/foo"),
        ("docker.io/library/foo/bar", "docker.io", "library/foo/bar"),
        // reference_test.go TestDomainAndPath, normalized
        ("test:8080/foo", "test:8080", "foo"),
    ]

    @Test(arguments: splitHostname)
    func firstComponentIsRegistryOnlyWhenItLooksLikeAHost(_ input: String, _ domain: String, _ path: String) throws {
        let ref = try Reference(parsing: input)
        #expect(ref.domain == domain)
        #expect(ref.path == path)
    }

    // MARK: reference_test.go, TestParseNamed: is the input already in canonical form?

    static let canonicalForm: [(String, Bool)] = [
        ("test.com/foo", true),
        ("test:8080/foo", true),
        ("test_com/foo", false),
        ("test.com", false),
        ("foo", false),
        ("library/foo", false),
        ("docker.io/library/foo", true),
        ("docker.io/foo", false),
    ]

    @Test(arguments: canonicalForm)
    func descriptionEqualsInputOnlyForCanonicalNames(_ input: String, _ canonical: Bool) throws {
        #expect((try Reference(parsing: input).description == input) == canonical)
    }

    // MARK: normalize_test.go, TestParseDockerRef (Berth's defaultingTag)

    static let dockerRef: [(String, String)] = [
        ("busybox", "docker.io/library/busybox:latest"),
        ("busybox:latest", "docker.io/library/busybox:latest"),
        ("busybox@sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582",
         "docker.io/library/busybox@sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582"),
        ("library/busybox", "docker.io/library/busybox:latest"),
        ("docker.io/busybox", "docker.io/library/busybox:latest"),
        ("docker.io/library/busybox", "docker.io/library/busybox:latest"),
        ("docker.io/busybox:latest", "docker.io/library/busybox:latest"),
        ("library/busybox:latest", "docker.io/library/busybox:latest"),
        ("docker.io/library/busybox:latest", "docker.io/library/busybox:latest"),
        ("gcr.io/library/busybox", "gcr.io/library/busybox:latest"),
        // Docker's ParseDockerRef drops the tag here; Berth's defaultingTag keeps what was given.
        ("gcr.io/library/busybox:latest@sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582",
         "gcr.io/library/busybox:latest@sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582"),
    ]

    @Test(arguments: dockerRef)
    func defaultingTagAddsLatestOnlyWithoutTagOrDigest(_ input: String, _ expected: String) throws {
        let ref = try Reference(parsing: input)
        #expect(ref.defaultingTag.description == expected)
    }

    // MARK: regexp_test.go, TestFullNameRegexp, applied through normalization

    static let fullNameValid: [ValidReference] = [
        ValidReference("short", "docker.io", "library/short"),
        ValidReference("simple/name", "docker.io", "simple/name"),
        ValidReference("library/ubuntu", "docker.io", "library/ubuntu"),
        ValidReference("docker/stevvooe/app", "docker.io", "docker/stevvooe/app"),
        ValidReference("aa/aa/aa/aa/aa/aa/aa/aa/aa/bb/bb/bb/bb/bb/bb", "docker.io", "aa/aa/aa/aa/aa/aa/aa/aa/aa/bb/bb/bb/bb/bb/bb"),
        ValidReference("aa/aa/bb/bb/bb", "docker.io", "aa/aa/bb/bb/bb"),
        ValidReference("a/a/a/a", "docker.io", "a/a/a/a"),
        ValidReference("a", "docker.io", "library/a"),
        ValidReference("a/aa", "docker.io", "a/aa"),
        ValidReference("a/aa/a", "docker.io", "a/aa/a"),
        ValidReference("foo.com", "docker.io", "library/foo.com"),
        ValidReference("foo.com:8080/bar", "foo.com:8080", "bar"),
        ValidReference("foo.com/bar", "foo.com", "bar"),
        ValidReference("foo.com/bar/baz", "foo.com", "bar/baz"),
        ValidReference("localhost:8080/bar", "localhost:8080", "bar"),
        ValidReference("sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com", "bar/baz/quux"),
        ValidReference("blog.foo.com/bar/baz", "blog.foo.com", "bar/baz"),
        ValidReference("aa-a/a", "docker.io", "aa-a/a"),
        ValidReference("foo_bar", "docker.io", "library/foo_bar"),
        ValidReference("foo_bar.com", "docker.io", "library/foo_bar.com"),
        // Not a name by the name regexp, but as a reference ":8080" is a tag.
        ValidReference("foo_bar.com:8080", "docker.io", "library/foo_bar.com", tag: "8080"),
        ValidReference("foo.com/foo_bar", "foo.com", "foo_bar"),
        ValidReference("b.gcr.io/test.example.com/my-app", "b.gcr.io", "test.example.com/my-app"),
        ValidReference("xn--n3h.com/myimage", "xn--n3h.com", "myimage"),
        ValidReference("xn--7o8h.com/myimage", "xn--7o8h.com", "myimage"),
        ValidReference("example.com/xn--7o8h.com/myimage", "example.com", "xn--7o8h.com/myimage"),
        ValidReference("example.com/some_separator__underscore/myimage", "example.com", "some_separator__underscore/myimage"),
        ValidReference("do__cker/docker", "docker.io", "do__cker/docker"),
        ValidReference("registry.io/foo/project--id.module--name.ver---sion--name", "registry.io",
                       "foo/project--id.module--name.ver---sion--name"),
        ValidReference("Asdf.com/foo/bar", "Asdf.com", "foo/bar"),
    ]

    @Test(arguments: fullNameValid)
    func dockerNameGrammarMatchesParseToNormalizedParts(_ c: ValidReference) throws {
        try check(c)
    }

    static let fullNameInvalid: [Input] = [
        "a/a/a/a/",
        "a//a/a",
        "foo.com/",
        "foo.com:http/bar",
        "a^a",
        "asdf$$^/aa",
        // 257 characters of path: matches the name regexp but is over the length limit.
        Input(String(repeating: "a/", count: 128) + "a"),
        "a-/a/a/a",
        "foo.com/a-/a/a",
        "-foo/bar",
        "foo/bar-",
        "foo-/bar",
        "foo/-bar",
        "_foo/bar",
        "foo_bar.com:8080/app",
        "docker_/docker_",
        "example.com/__underscore/myimage",
        "example.com/..dots/myimage",
        "example.com/.dots/myimage",
        "example.com/nodouble..dots/myimage",
        "docker./docker",
        ".docker/docker",
        "do..cker/docker",
        "do__cker:8080/docker",
        "Foo/FarB",
    ]

    @Test(arguments: fullNameInvalid)
    func dockerNameGrammarNonMatchesAreRejected(_ input: Input) {
        _ = expectInvalid(input.value)
    }

    // MARK: regexp_test.go, TestReferenceRegexp

    static let referenceRegexpValid: [ValidReference] = [
        ValidReference("registry.com:8080/myapp:tag", "registry.com:8080", "myapp", tag: "tag"),
        ValidReference("registry.com:8080/myapp@\(be17)", "registry.com:8080", "myapp", digest: be17),
        ValidReference("registry.com:8080/myapp:tag2@\(be17)", "registry.com:8080", "myapp", tag: "tag2", digest: be17),
        // Without a slash "localhost" is a repository name and 8080 its tag.
        ValidReference("localhost:8080@\(be17)", "docker.io", "library/localhost", tag: "8080", digest: be17),
        ValidReference("localhost:8080/name@\(be17)", "localhost:8080", "name", digest: be17),
        ValidReference("localhost@\(be17)", "docker.io", "library/localhost", digest: be17),
    ]

    @Test(arguments: referenceRegexpValid)
    func dockerReferenceGrammarMatchesParseToNormalizedParts(_ c: ValidReference) throws {
        try check(c)
    }

    static let referenceRegexpInvalid: [Input] = [
        "registry.com:8080/myapp@sha256:badbadbadbad",
        "registry.com:8080/myapp:invalid~tag",
        "bad_hostname.com:8080/myapp:tag",
        "localhost:http/name@\(be17)",
        "registry.com:8080/myapp@bad",
        "registry.com:8080/myapp@2bad",
    ]

    @Test(arguments: referenceRegexpInvalid)
    func dockerReferenceGrammarNonMatchesAreRejected(_ input: Input) {
        _ = expectInvalid(input.value)
    }

    // MARK: regexp_test.go, TestDomainRegexp, against the host[:port] validator

    static let domains: [(String, Bool)] = [
        ("test.com", true),
        ("test.com:10304", true),
        ("test.com:http", false),
        ("localhost", true),
        ("localhost:8080", true),
        ("a", true),
        ("a.b", true),
        ("ab.cd.com", true),
        ("a-b.com", true),
        ("-ab.com", false),
        ("ab-.com", false),
        ("ab.c-om", true),
        ("ab.-com", false),
        ("ab.com-", false),
        ("0101.com", true),
        ("001a.com", true),
        ("b.gbc.io:443", true),
        ("b.gbc.io", true),
        ("xn--n3h.com", true),
        ("Asdf.com", true),
        ("192.168.1.1:75050", true),
        ("192.168.1.1:750050", true),
        ("[fd00:1:2::3]:75050", true),
        ("[fd00:1:2::3]75050", false),
        ("[fd00:1:2::3]::75050", false),
        ("[fd00:1:2::3%eth0]:75050", false),
        ("[fd00123123123]:75050", true),
        ("[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:75050", true),
        ("[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:750505", true),
        ("fd00:1:2::3:75050", false),
    ]

    @Test(arguments: domains)
    func registryHostGrammarMatchesDockers(_ domain: String, _ valid: Bool) {
        #expect(Reference.isValidDomain(domain) == valid)
    }

    // MARK: regexp_test.go, TestIdentifierRegexp: 64 lowercase hex digits are an image id

    @Test func sixtyFourHexDigitsAreRefusedAsARepositoryName() {
        for id in [hex64, "da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf9821"] {
            let error = expectInvalid(id)
            #expect(error?.message.contains("cannot specify 64-byte hexadecimal strings") == true)
        }
    }

    static let almostIdentifiers: [(String, String)] = [
        // 60 and 68 hex digits are ordinary names.
        ("da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf",
         "docker.io/library/da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf"),
        ("da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf98218482",
         "docker.io/library/da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf98218482"),
        ("sha256:da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf9821",
         "docker.io/library/sha256:da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf9821"),
    ]

    @Test(arguments: almostIdentifiers)
    func hexStringsThatAreNotExactlyAnImageIdAreNames(_ input: String, _ expected: String) throws {
        #expect(try Reference(parsing: input).description == expected)
    }

    @Test func uppercaseSixtyFourHexIsRefusedAsNotLowercase() {
        let error = expectInvalid("7EC43B381E5AEFE6E04EFB0B3F0693FF2A4A50652D64AEC573905F2DB5889A1C")
        #expect(error?.message.contains("must be lowercase") == true)
    }

    // MARK: Berth-specific behaviour

    static let uppercaseRepositories: [String] = [
        "Uppercase:tag", "UPPER", "docker/Docker", "docker.io/docker/Docker",
        "test:5000/Uppercase/lowercase:tag", "localhost/Foo", "Foo/FarB",
    ]

    @Test(arguments: uppercaseRepositories)
    func uppercaseRepositoryNamesSayTheyMustBeLowercase(_ input: String) {
        let error = expectInvalid(input)
        #expect(error?.message.contains("must be lowercase") == true)
    }

    @Test func familiarNamesGetDockerHubDomainAndLibrary() throws {
        let ref = try Reference(parsing: "busybox")
        #expect(ref.domain == "docker.io")
        #expect(ref.path == "library/busybox")
        #expect(ref.tag == nil)
        #expect(ref.digest == nil)
        #expect(ref.description == "docker.io/library/busybox")
        #expect(ref.familiar == "busybox")
        #expect(ref.familiarRepository == "busybox")
        #expect(ref.defaultingTag.description == "docker.io/library/busybox:latest")
        #expect(ref.defaultingTag.familiar == "busybox:latest")
    }

    @Test func legacyIndexDomainIsCanonicalizedToDockerIO() throws {
        let ref = try Reference(parsing: "index.docker.io/user/app:1.0")
        #expect(ref.domain == "docker.io")
        #expect(ref == (try Reference(parsing: "user/app:1.0")))
        #expect(ref.familiar == "user/app:1.0")
    }

    @Test func localhostRegistryWithPortAndNestedPath() throws {
        let ref = try Reference(parsing: "localhost:5000/a/b:t")
        #expect(ref.domain == "localhost:5000")
        #expect(ref.path == "a/b")
        #expect(ref.tag == "t")
        #expect(ref.description == "localhost:5000/a/b:t")
        #expect(ref.familiar == "localhost:5000/a/b:t")
        #expect(ref.familiarRepository == "localhost:5000/a/b")
    }

    @Test func bareLocalhostIsARepositoryName() throws {
        let ref = try Reference(parsing: "localhost")
        #expect(ref.description == "docker.io/library/localhost")
    }

    @Test func bracketedIPv6RegistryWithPort() throws {
        let ref = try Reference(parsing: "[::1]:5000/foo")
        #expect(ref.domain == "[::1]:5000")
        #expect(ref.path == "foo")
        #expect(ref.tag == nil)
        #expect(ref.familiar == "[::1]:5000/foo")
    }

    @Test func digestOnlyReference() throws {
        let hex = String(repeating: "0123456789abcdef", count: 4)
        let ref = try Reference(parsing: "name@sha256:\(hex)")
        #expect(ref.description == "docker.io/library/name@sha256:\(hex)")
        #expect(ref.tag == nil)
        #expect(ref.digest == (try Digest(algorithm: "sha256", encoded: hex)))
        #expect(ref.familiar == "name@sha256:\(hex)")
        // A digest pins the content, so no default tag is added.
        #expect(ref.defaultingTag == ref)
    }

    @Test func tagAndDigestReference() throws {
        let hex = String(repeating: "a1", count: 32)
        let ref = try Reference(parsing: "name:tag@sha256:\(hex)")
        #expect(ref.tag == "tag")
        #expect(ref.digest?.description == "sha256:\(hex)")
        #expect(ref.description == "docker.io/library/name:tag@sha256:\(hex)")
        #expect(ref.familiar == "name:tag@sha256:\(hex)")
    }

    static let badDigests: [String] = [
        "name@sha256:" + String(repeating: "A", count: 64),
        "name@sha256:" + String(repeating: "a", count: 63),
        "name@sha256:" + String(repeating: "a", count: 65),
        "name@md5:d41d8cd98f00b204e9800998ecf8427e",
        "name@sha256",
        "name@",
        "name@sha256:\(String(repeating: "a", count: 64))@sha256:\(String(repeating: "a", count: 64))",
    ]

    @Test(arguments: badDigests)
    func malformedDigestsAreRejected(_ input: String) {
        _ = expectInvalid(input)
    }

    @Test func tagOf128CharactersIsAcceptedAnd129Rejected() throws {
        let t128 = "a" + String(repeating: "b", count: 127)
        let ok = try Reference(parsing: "repo:\(t128)")
        #expect(ok.tag == t128)
        let error = expectInvalid("repo:\(t128)b")
        #expect(error?.message.contains("tag") == true)
    }

    static let tags: [(String, Bool)] = [
        ("latest", true), ("v1.2.3", true), ("1.0-rc_1", true), ("_under", true), ("UPPER", true), ("0", true),
        (".hidden", false), ("-dash", false), ("", false), ("a~b", false), ("a+b", false), ("a/b", false), ("ü", false),
    ]

    @Test(arguments: tags)
    func tagGrammarIsWordThenWordDotOrDash(_ tag: String, _ valid: Bool) {
        #expect(Reference.isValidTag(tag) == valid)
        if valid {
            #expect((try? Reference(parsing: "repo:\(tag)"))?.tag == tag)
        } else {
            #expect((try? Reference(parsing: "repo:\(tag)")) == nil)
        }
    }

    @Test func repositoryPathOver255CharactersIsRejected() {
        let path = String(repeating: "a", count: 256)
        for input in ["example.com/\(path)", "user/\(path.dropFirst(5))", path] {
            let error = expectInvalid(input)
            #expect(error?.message.contains("255") == true)
        }
    }

    @Test func repositoryPathOfExactly255CharactersIsAccepted() throws {
        // The registry host does not count towards the limit (distribution/reference since 2024).
        let path = "user/" + String(repeating: "a", count: 250)
        let ref = try Reference(parsing: path)
        #expect(ref.path.utf8.count == 255)
        #expect(ref.description.utf8.count == 265)
        let onRegistry = try Reference(parsing: "registry.example.com:5000/" + String(repeating: "b", count: 255))
        #expect(onRegistry.path.utf8.count == 255)
    }

    @Test func firstComponentThatLooksLikeAHostButIsNotOneIsRejected() {
        // Docker would fall back to reading "foo_bar.com/x" as a domain-less name; Berth always
        // needs a registry, so a first component with '.' or ':' must be a valid host.
        _ = expectInvalid("foo_bar.com/x")
        _ = expectInvalid("bad_host:5000/x")
    }

    @Test func nonASCIIInputIsRejected() {
        for input in ["büsybox", "busybox:lätest", "exämple.com/foo", "foo/\u{301}bar", "foo:\u{301}tag", "foo\u{0}bar"] {
            _ = expectInvalid(input)
        }
    }

    @Test func withTagReplacesTagAndDropsDigest() throws {
        let ref = try Reference(parsing: "test.com:8000/foo:old@\(ffff)")
        let tagged = ref.withTag("TAG5")
        #expect(tagged.description == "test.com:8000/foo:TAG5")
        #expect(tagged.digest == nil)
        #expect(tagged.domain == ref.domain && tagged.path == ref.path)
    }

    @Test func defaultingTagKeepsAnExistingTag() throws {
        let ref = try Reference(parsing: "alpine:3.19")
        #expect(ref.defaultingTag == ref)
        #expect(Reference.defaultTag == "latest")
        #expect(Reference.defaultDomain == "docker.io")
    }

    @Test func equalSpellingsParseToEqualHashableValues() throws {
        let spellings = ["ubuntu", "library/ubuntu", "docker.io/ubuntu", "docker.io/library/ubuntu",
                         "index.docker.io/library/ubuntu", "index.docker.io/ubuntu"]
        let refs = try Set(spellings.map { try Reference(parsing: $0) })
        #expect(refs.count == 1)
        #expect(refs.first?.description == "docker.io/library/ubuntu")
    }

    static let familiarForms: [(String, String, String)] = [
        ("docker.io/library/redis:7", "redis:7", "redis"),
        ("docker.io/bitnami/redis:7", "bitnami/redis:7", "bitnami/redis"),
        ("docker.io/library/foo/bar", "library/foo/bar", "library/foo/bar"),
        ("ghcr.io/library/redis:7", "ghcr.io/library/redis:7", "ghcr.io/library/redis"),
        ("quay.io/coreos/etcd@\(ffff)", "quay.io/coreos/etcd@\(ffff)", "quay.io/coreos/etcd"),
    ]

    @Test(arguments: familiarForms)
    func familiarFormStripsOnlyDockerHubDefaults(_ input: String, _ familiar: String, _ repo: String) throws {
        let ref = try Reference(parsing: input)
        #expect(ref.familiar == familiar)
        #expect(ref.familiarRepository == repo)
        // A familiar string parses back to the same reference.
        #expect(try Reference(parsing: ref.familiar) == ref)
    }

    @Test func memberwiseInitBuildsTheSameValueAsParsing() throws {
        let parsed = try Reference(parsing: "localhost:5000/a/b:t")
        let built = Reference(domain: "localhost:5000", path: "a/b", tag: "t", digest: nil)
        #expect(parsed == built)
        #expect(parsed.hashValue == built.hashValue)
    }
}
