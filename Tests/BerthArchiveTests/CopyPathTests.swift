import Testing

@testable import BerthArchive

/// Docker's path rules for cp, checked against what Go's path/filepath and moby/go-archive give.
@Suite struct CopyPathTests {
    @Test(arguments: [
        ("", "."), ("/", "/"), ("//a//b/", "/a/b"), ("a/./b/.", "a/b"), ("/../a", "/a"), ("a/../../b", "../b"),
        ("/a/b/../..", "/"), ("./", "."), ("a/..", "."),
    ])
    func cleanFoldsLikeGo(_ path: String, _ cleaned: String) {
        #expect(CopyPath.clean(path) == cleaned)
    }

    @Test(arguments: [("/a/b", "b"), ("/a/b/", "b"), ("/", "/"), ("//", "/"), ("", "."), ("a", "a"), ("/a/.", ".")])
    func baseIsTheLastElement(_ path: String, _ base: String) {
        #expect(CopyPath.base(path) == base)
    }

    @Test(arguments: [("/a/b", "/a"), ("/a", "/"), ("a", "."), ("/a/b/", "/a/b"), ("/a/.", "/a")])
    func dirIsEverythingBefore(_ path: String, _ dir: String) {
        #expect(CopyPath.dir(path) == dir)
    }

    @Test(arguments: [
        ("/a/b", "a/b/", "/a/b/"), ("/a/b", "a/b/.", "/a/b/."), ("/", "/.", "/."), ("/a", "a", "/a"), ("/", "/", "/"),
    ])
    func trailingSlashOrDotIsKept(_ cleaned: String, _ original: String, _ result: String) {
        #expect(CopyPath.preserveTrailingDotOrSeparator(cleaned, original) == result)
    }

    @Test(arguments: [("tmp/x", "/tmp/x"), ("/tmp/", "/tmp/"), ("dir/.", "/dir/."), ("../../etc", "/etc"), ("/", "/")])
    func containerPathsAreAbsolute(_ path: String, _ abs: String) {
        #expect(CopyPath.inContainer(path) == abs)
    }

    @Test func splitKeepsTheDotOfDirDot() {
        #expect(CopyPath.splitDirEntry("/a/b/.") == ("/a/b", "."))
        #expect(CopyPath.splitDirEntry("/a/b/") == ("/a", "b"))
        #expect(CopyPath.splitDirEntry("/") == ("/", "/"))
    }

    @Test func followingALinkRenamesWhatTheLinkWasCalled() {
        #expect(CopyPath.rebaseName("/x/link", resolved: "/x/target") == ("/x/target", "link"))
        #expect(CopyPath.rebaseName("/x/link/", resolved: "/x/target") == ("/x/target/", "link"))
        #expect(CopyPath.rebaseName("/x/link/.", resolved: "/x/target") == ("/x/target/.", nil))
        #expect(CopyPath.rebaseName("/x/same", resolved: "/y/same") == ("/y/same", nil))
    }
}
