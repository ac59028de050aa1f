import Foundation
import Testing

/// The image verbs driven through `berth`, against a private berthd.
@Suite(.serialized) struct ImageVerbTests {
    @Test func importTagInspectHistorySaveRmiLoadRoundTripKeepsLayerDigests() throws {
        let d = try Daemon()
        let tarDigest = "sha256:" + Fixtures.sha256(file: Fixtures.busyboxTar)
        let imp = d.berth("import", "-c", "CMD [\"sh\"]", "-c", "ENV GREETING=hello", "-c", "WORKDIR /root", "-m", "from test", Fixtures.busyboxTar, "bb:one")
        #expect(imp.status == 0, "\(imp.stderr)")
        let id = imp.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(id.hasPrefix("sha256:") && id.count == 71)

        let images = d.berth("images")
        #expect(images.lines.first?.hasPrefix("REPOSITORY") == true)
        #expect(images.lines.contains { $0.hasPrefix("bb ") && $0.contains("one") && $0.contains(String(id.dropFirst(7).prefix(12))) })

        #expect(d.berth("inspect", "-f", "{{json .Config.Cmd}}", "bb:one").stdout == "[\"sh\"]\n")
        #expect(d.berth("inspect", "-f", "{{.Config.WorkingDir}} {{index .Config.Env 0}}", "bb:one").stdout == "/root GREETING=hello\n")
        // The stored layer is the imported tar itself, so its digest is the tar's sha256.
        #expect(d.berth("inspect", "-f", "{{index .RootFS.Layers 0}}", "bb:one").stdout == tarDigest + "\n")

        let hist = d.berth("history", "bb:one")
        #expect(hist.status == 0)
        #expect(hist.stdout.contains("from test"))

        #expect(d.berth("tag", "bb:one", "localhost:5000/course/bb:v2").status == 0)
        #expect(d.berth("images", "-q").lines == [String(id.dropFirst(7).prefix(12))])
        #expect(d.berth("images", "--format", "{{.Repository}}:{{.Tag}}").lines.sorted() == ["bb:one", "localhost:5000/course/bb:v2"])

        let archive = "\(d.dir)/saved.tar"
        let save = d.berth("save", "-o", archive, "bb:one", "localhost:5000/course/bb:v2")
        #expect(save.status == 0, "\(save.stderr)")
        #expect(Run.run("/bin/tar", ["-tf", archive]).lines.contains("blobs/sha256/\(tarDigest.dropFirst(7))"))

        // By id with two tags, rmi refuses without -f.
        let refused = d.berth("rmi", String(id.dropFirst(7).prefix(12)))
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("must be forced"))
        #expect(d.berth("rmi", "bb:one").stdout == "Untagged: bb:one\n")
        #expect(d.entries("layers").count == 2, "the layer is still used: its snapshot and the short-link dir remain")
        let last = d.berth("rmi", "localhost:5000/course/bb:v2")
        #expect(last.lines == ["Untagged: localhost:5000/course/bb:v2", "Deleted: \(id)"])
        #expect(d.entries("content/blobs/sha256").isEmpty, "deleting the last image frees its blobs")
        #expect(d.entries("layers") == ["l"], "and its snapshot")

        let load = d.berth("load", "-i", archive)
        #expect(load.status == 0, "\(load.stderr)")
        #expect(load.lines.sorted() == ["Loaded image: bb:one", "Loaded image: localhost:5000/course/bb:v2"])
        #expect(d.berth("inspect", "-f", "{{.Id}} {{index .RootFS.Layers 0}}", "bb:one").stdout == "\(id) \(tarDigest)\n")
        #expect(FileManager.default.fileExists(atPath: "\(d.dataRoot)/layers/\(tarDigest.dropFirst(7))/diff/bin/busybox"))
    }

    @Test func deletingOneImageFreesOnlyWhatNoOtherImageUses() throws {
        let d = try Daemon()
        #expect(d.berth("import", Fixtures.busyboxTar, "a:1").status == 0)
        // A second image with the same layer but another config.
        #expect(d.berth("import", "-c", "CMD [\"true\"]", Fixtures.busyboxTar, "b:1").status == 0)
        let blobsBefore = d.entries("content/blobs/sha256")
        #expect(blobsBefore.count == 5, "one shared layer + two configs + two manifests")
        #expect(d.berth("rmi", "a:1").status == 0)
        let blobsAfter = d.entries("content/blobs/sha256")
        #expect(blobsAfter.count == 3)
        let layer = Fixtures.sha256(file: Fixtures.busyboxTar)
        #expect(blobsAfter.contains(layer))
        #expect(FileManager.default.fileExists(atPath: "\(d.dataRoot)/layers/\(layer)/diff/bin/busybox"))
    }

    @Test func pruneRemovesDanglingImagesOnly() throws {
        let d = try Daemon()
        #expect(d.berth("import", Fixtures.busyboxTar, "keep:1").status == 0)
        #expect(d.berth("import", "-c", "CMD [\"x\"]", Fixtures.busyboxTar, "gone:1").status == 0)
        // Moving the tag leaves the first gone:1 image dangling.
        #expect(d.berth("import", "-c", "CMD [\"y\"]", Fixtures.busyboxTar, "gone:1").status == 0)
        #expect(d.berth("images", "--filter", "dangling=true", "-q").lines.count == 1)
        let prune = d.berth("image", "prune", "-f")
        #expect(prune.status == 0, "\(prune.stderr)")
        #expect(prune.stdout.contains("deleted: sha256:"))
        #expect(d.berth("images", "--format", "{{.Repository}}").lines.sorted() == ["gone", "keep"])
        #expect(d.berth("image", "prune", "-a", "-f").status == 0)
        #expect(d.berth("images", "-q").stdout.isEmpty)
        #expect(d.entries("content/blobs/sha256").isEmpty)
    }

    @Test(arguments: [
        ("Bad/Name", "must be lowercase"),
        ("a..b", "invalid reference format"),
        ("bb:-bad", "invalid reference format"),
    ])
    func invalidNamesAreRefusedWithAClearMessage(name: String, message: String) throws {
        let d = try Daemon()
        #expect(d.berth("import", Fixtures.busyboxTar, "ok:1").status == 0)
        let r = d.berth("tag", "ok:1", name)
        #expect(r.status != 0)
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(d.berth("images", "-q").lines.count == 1)
    }

    @Test func missingImagesAndBadInputGiveClearErrors() throws {
        let d = try Daemon()
        let r = d.berth("inspect", "nope:1")
        #expect(r.status == 1)
        #expect(r.stderr.contains("No such object: nope:1"), "as docker inspect says it")
        let notTar = "\(d.dir)/not.tar"
        _ = FileManager.default.createFile(atPath: notTar, contents: Data(repeating: 0x41, count: 4096))
        let bad = d.berth("import", notTar, "x:1")
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("not a tar archive"), "\(bad.stderr)")
        let badLoad = d.berth("load", "-i", Fixtures.busyboxTar)
        #expect(badLoad.stderr.contains("neither manifest.json"), "\(badLoad.stderr)")
        #expect(d.berth("images", "-q").stdout.isEmpty)
        #expect(d.entries("content/blobs/sha256").isEmpty, "a refused load keeps nothing")
        let change = d.berth("import", "-c", "RUN true", Fixtures.busyboxTar, "x:1")
        #expect(change.stderr.contains("RUN is not a valid change command"), "\(change.stderr)")
    }

    @Test func systemDFCountsSharedLayersOnce() throws {
        let d = try Daemon()
        #expect(d.berth("import", Fixtures.busyboxTar, "a:1").status == 0)
        #expect(d.berth("import", "-c", "CMD [\"x\"]", Fixtures.busyboxTar, "b:1").status == 0)
        let df = d.berth("system", "df", "--format", "{{.Type}} {{.TotalCount}} {{.Size}}")
        #expect(df.lines.first == "Images 2 1.98MB", "\(df.stdout)")
    }
}

/// Image archives built to attack the store.
@Suite(.serialized) struct HostileArchiveTests {
    /// A docker-save archive whose single layer holds `entry` (made with python's tarfile).
    static func archive(in dir: String, layerEntries: String) -> String {
        let path = "\(dir)/hostile.tar"
        let script = """
        import hashlib, io, json, tarfile
        layer = io.BytesIO()
        with tarfile.open(fileobj=layer, mode='w', format=tarfile.PAX_FORMAT) as t:
            for kind, name, target in \(layerEntries):
                i = tarfile.TarInfo(name)
                if kind == 'sym': i.type, i.linkname = tarfile.SYMTYPE, target
                elif kind == 'dir': i.type = tarfile.DIRTYPE
                data = b'pwned' if kind == 'file' else b''
                i.size = len(data)
                t.addfile(i, io.BytesIO(data))
        lb = layer.getvalue()
        diff = 'sha256:' + hashlib.sha256(lb).hexdigest()
        cfg = json.dumps({'architecture': 'amd64', 'os': 'linux', 'rootfs': {'type': 'layers', 'diff_ids': [diff]}}).encode()
        cid = hashlib.sha256(cfg).hexdigest()
        man = json.dumps([{'Config': cid + '.json', 'RepoTags': ['hostile:1'], 'Layers': ['l/layer.tar']}]).encode()
        with tarfile.open('\(path)', 'w') as out:
            for name, data in [('l/layer.tar', lb), (cid + '.json', cfg), ('manifest.json', man)]:
                i = tarfile.TarInfo(name); i.size = len(data); out.addfile(i, io.BytesIO(data))
        """
        let r = Run.run("/usr/bin/python3", ["-c", script])
        precondition(r.status == 0, r.stderr)
        return path
    }

    @Test(arguments: [
        ("[('file', '../escaped', '')]", "../escaped"),
        ("[('file', '/abs-escaped', '')]", "/abs-escaped"),
        ("[('sym', 'link', '/'), ('file', 'link/tmp/berth-escaped', '')]", "link/tmp/berth-escaped"),
        ("[('sym', 'up', '../../../../..'), ('file', 'up/tmp/berth-escaped', '')]", "up/tmp/berth-escaped"),
    ])
    func loadRefusesLayersThatEscapeAndKeepsNothing(entries: String, named: String) throws {
        let d = try Daemon()
        unlink("/tmp/berth-escaped")
        let r = d.berth("load", "-i", Self.archive(in: d.dir, layerEntries: entries))
        #expect(r.status != 0)
        #expect(r.stderr.contains("\"\(named)\""), "the error names the entry: \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/berth-escaped"))
        #expect(!FileManager.default.fileExists(atPath: "\(d.dataRoot)/layers/escaped"))
        #expect(d.berth("images", "-q").stdout.isEmpty)
        #expect(d.entries("content/blobs/sha256").isEmpty)
        #expect(d.entries("layers") == ["l"])
    }

    @Test func loadStreamsLayerProgressAndLoadedLines() throws {
        let d = try Daemon()
        #expect(d.berth("import", Fixtures.busyboxTar, "p:1").status == 0)
        let archive = "\(d.dir)/p.tar"
        #expect(d.berth("save", "-o", archive, "p:1").status == 0)
        #expect(d.berth("rmi", "p:1").status == 0)
        let r = Run.run("/usr/bin/curl", ["-s", "--unix-socket", d.socket, "-X", "POST", "--data-binary", "@\(archive)",
                                          "-H", "Content-Type: application/x-tar", "http://localhost/v1.41/images/load"])
        let lines = r.stdout.split(separator: "\r\n").map(String.init)
        #expect(lines.count == 2, "\(r.stdout)")
        #expect(lines.first?.contains("\"status\":\"Loading layer\"") == true)
        #expect(lines.first?.contains("\"id\":\"\(Fixtures.sha256(file: Fixtures.busyboxTar).prefix(12))\"") == true)
        #expect(lines.last == "{\"stream\":\"Loaded image: p:1\\n\"}")
    }
}
