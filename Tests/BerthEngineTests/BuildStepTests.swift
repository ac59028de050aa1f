@testable import BerthEngine
import BerthOCI
import Foundation
import Glibc
import Testing

/// The build cache's keys and COPY's path rules, without a daemon.
struct BuildStepTests {
    static let parent = Digest.sha256(of: Array("parent".utf8))

    @Test func cacheKeyChangesWithEachInput() {
        let base = BuildCacheKey(parent: Self.parent, instruction: "RUN [\"/bin/sh\",\"-c\",\"make\"]", buildArgs: ["V": "1"], files: ["a 100644 0:0 sha256:x"])
        #expect(base.digest == BuildCacheKey(parent: Self.parent, instruction: base.instruction, buildArgs: ["V": "1"], files: base.files).digest)
        var other = base
        other.parent = nil
        #expect(other.digest != base.digest)
        other = base
        other.instruction += " "
        #expect(other.digest != base.digest)
        other = base
        other.buildArgs = ["V": "2"]
        #expect(other.digest != base.digest)
        other = base
        other.files = ["a 100755 0:0 sha256:x"]
        #expect(other.digest != base.digest)
        // Fields cannot bleed into each other.
        let a = BuildCacheKey(parent: nil, instruction: "ab", files: ["c"])
        let b = BuildCacheKey(parent: nil, instruction: "a", files: ["bc"])
        #expect(a.digest != b.digest)
    }

    @Test func runEnvironmentAddsUndeclaredProxyArgsButNotOtherArgs() {
        let env = ImageBuilder.runEnvironment(
            imageEnv: ["PATH=/usr/bin", "NO_PROXY=image"], args: ["V": "1", "PATH": "ignored"],
            buildArgs: ["V": "1", "http_proxy": "http://10.0.0.1:3128", "NO_PROXY": "cli", "https_proxy": nil, "OTHER": "x"])
        // ENV first and winning over args; declared args; proxy args without ARG; no undeclared other arg.
        #expect(env == ["PATH=/usr/bin", "NO_PROXY=image", "V=1", "http_proxy=http://10.0.0.1:3128"])
        // A declared proxy ARG keeps its (stage) value.
        #expect(ImageBuilder.runEnvironment(imageEnv: [], args: ["http_proxy": "declared"], buildArgs: ["http_proxy": "cli"]) == ["http_proxy=declared"])
    }

    @Test func historyNamesAFileADirectoryOrSeveralSourcesAsDockerDoes() throws {
        let dir = "/tmp/berth-buildstep-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: "\(dir)/d", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        FileManager.default.createFile(atPath: "\(dir)/f", contents: Data("one".utf8))
        let file = CopyStep.Source(relative: "f", host: "\(dir)/f"), directory = CopyStep.Source(relative: "d", host: "\(dir)/d")
        #expect(CopyStep.historyKind([file]) == "file")
        #expect(CopyStep.historyKind([directory]) == "dir")
        #expect(CopyStep.historyKind([file, directory]) == "multi")
    }

    @Test func checksumsIgnoreTimesButNotModeOrContent() throws {
        let dir = "/tmp/berth-buildstep-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        FileManager.default.createFile(atPath: "\(dir)/f", contents: Data("one".utf8))
        let src = [CopyStep.Source(relative: "f", host: "\(dir)/f")]
        let first = CopyStep.checksums(src)
        var times = [timespec(tv_sec: 1000, tv_nsec: 0), timespec(tv_sec: 1000, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, "\(dir)/f", &times, 0) == 0)
        #expect(CopyStep.checksums(src) == first)
        #expect(chmod("\(dir)/f", 0o755) == 0)
        #expect(CopyStep.checksums(src) != first)
        #expect(chmod("\(dir)/f", 0o644) == 0)
        FileManager.default.createFile(atPath: "\(dir)/f", contents: Data("two".utf8))
        #expect(chmod("\(dir)/f", 0o644) == 0)
        #expect(CopyStep.checksums(src) != first)
    }

    @Test func destinationRules() throws {
        #expect(CopyStep.destinationPath("app", workdir: "/srv") == "/srv/app")
        #expect(CopyStep.destinationPath("app/", workdir: "/srv") == "/srv/app/")
        #expect(CopyStep.destinationPath(".", workdir: "/srv") == "/srv/")
        #expect(CopyStep.destinationPath("/x/../y", workdir: "/srv") == "/y")
        let file = CopyStep.Source(relative: "dir/a.txt", host: "/nonexistent/a.txt")
        let other = CopyStep.Source(relative: "b.txt", host: "/nonexistent/b.txt")
        let noDir: (String) -> Bool = { _ in false }
        // One file, no trailing slash: the destination is the file's new name.
        #expect(try CopyStep.placements([file], destination: "/opt/x", isDirectory: noDir, destinationIsDirectory: false).map(\.1) == ["/opt/x"])
        // Trailing slash, or an existing directory: dest/basename.
        #expect(try CopyStep.placements([file], destination: "/opt/", isDirectory: noDir, destinationIsDirectory: false).map(\.1) == ["/opt/a.txt"])
        #expect(try CopyStep.placements([file], destination: "/opt", isDirectory: noDir, destinationIsDirectory: true).map(\.1) == ["/opt/a.txt"])
        // A directory source: its contents go into the destination itself.
        let dir = CopyStep.Source(relative: "dir", host: "/d")
        #expect(try CopyStep.placements([dir], destination: "/opt/", isDirectory: { $0 == "/d" }, destinationIsDirectory: false).map(\.1) == ["/opt"])
        // Several sources need a directory destination.
        #expect(throws: EngineError.self) { try CopyStep.placements([file, other], destination: "/opt", isDirectory: noDir, destinationIsDirectory: false) }
        #expect(try CopyStep.placements([file, other], destination: "/opt/", isDirectory: noDir, destinationIsDirectory: false).map(\.1) == ["/opt/a.txt", "/opt/b.txt"])
    }

    @Test func contextPathsCannotEscape() throws {
        let root = "/tmp/berth-buildctx-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: "\(root)/sub", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        FileManager.default.createFile(atPath: "\(root)/sub/in.txt", contents: Data("x".utf8))
        #expect(symlink("/etc/passwd", "\(root)/out") == 0)
        #expect(symlink("../../etc", "\(root)/sub/up") == 0)
        #expect(symlink("in.txt", "\(root)/sub/ok") == 0)
        #expect(try CopyStep.resolveBeneath(root, "sub/ok", refuseEscape: true, instruction: "COPY", original: "sub/ok") == "\(root)/sub/in.txt")
        #expect(throws: EngineError.self) { try CopyStep.expand(["../x"], root: root, context: true, instruction: "COPY") }
        #expect(throws: EngineError.self) { try CopyStep.resolveBeneath(root, "out", refuseEscape: true, instruction: "COPY", original: "out") }
        #expect(throws: EngineError.self) { try CopyStep.resolveBeneath(root, "sub/up/passwd", refuseEscape: true, instruction: "COPY", original: "sub/up/passwd") }
        // An image's absolute link stays inside its root.
        #expect(try CopyStep.resolveBeneath(root, "out", refuseEscape: false, instruction: "COPY", original: "out") == "\(root)/etc/passwd")
        #expect(try CopyStep.expand(["sub/*.txt"], root: root, context: true, instruction: "COPY").map(\.relative) == ["sub/in.txt"])
    }
}
