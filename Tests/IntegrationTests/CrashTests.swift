import Foundation
import Testing

/// berthd killed in the middle of work leaves a consistent store.
@Suite(.serialized) struct CrashTests {
    @Test func sigkillDuringLoadLeavesNoHalfImageAndARerunSucceeds() throws {
        let d = try Daemon()
        // An image whose layer has many files, so unpacking takes long enough to be interrupted.
        let big = "\(d.dir)/big"
        let script = """
        set -e
        mkdir -p \(big)/root/files && cd \(big)/root/files
        python3 -c "
        import os
        for i in range(30000):
            d = 'd%03d' % (i % 300)
            os.makedirs(d, exist_ok=True)
            open(d + '/f%05d' % i, 'w').write('x' * (i % 700))
        "
        tar --numeric-owner -C \(big)/root -cf \(big)/layer.tar .
        """
        #expect(Run.sh(script).status == 0)
        #expect(d.berth("import", "\(big)/layer.tar", "big:1").status == 0)
        let archive = "\(d.dir)/big-save.tar"
        #expect(d.berth("save", "-o", archive, "big:1").status == 0)
        #expect(d.berth("rmi", "big:1").status == 0)
        #expect(d.entries("content/blobs/sha256").isEmpty)

        // Start the load and kill berthd once the layer is being unpacked.
        let loader = Process()
        loader.executableURL = URL(fileURLWithPath: Binaries.berth)
        loader.arguments = ["load", "-i", archive]
        loader.environment = ["BERTH_HOST": d.host]
        loader.standardOutput = FileHandle.nullDevice
        loader.standardError = FileHandle.nullDevice
        try loader.run()
        var sawUnpack = false
        for _ in 0..<20000 {
            if d.entries("layers").contains(where: { $0.hasPrefix("tmp-") }) { sawUnpack = true; break }
            usleep(500)
        }
        d.kill9()
        loader.waitUntilExit()
        #expect(sawUnpack, "the kill must land mid-unpack for this test to mean something")
        #expect(loader.terminationStatus != 0)

        try d.start()
        #expect(d.berth("images", "-q").stdout.isEmpty, "no half image after the crash")
        #expect(!d.entries("layers").contains { $0.hasPrefix("tmp-") }, "interrupted unpacks are cleared at start")
        #expect(d.entries("content/ingest").isEmpty)
        #expect(d.entries("content/blobs/sha256").isEmpty, "orphaned blobs are collected at start")

        let rerun = d.berth("load", "-i", archive)
        #expect(rerun.stdout == "Loaded image: big:1\n", "\(rerun.stderr)")
        let count = Run.sh("find \(d.dataRoot)/layers/*/diff/files -type f | wc -l").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(count == "30000")
    }
}
