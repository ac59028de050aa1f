import Foundation
import Glibc
import Testing

@testable import BerthRuntime

@Suite("Cgroup v2 device filter") struct CgroupDeviceProgramTests {
    @Test func rulesParseFromTheV1Grammar() {
        #expect(CgroupDeviceProgram.Rule(parsing: "c 1:3 rwm") == .init(type: 2, major: 1, minor: 3, access: 7))
        #expect(CgroupDeviceProgram.Rule(parsing: "b *:* m") == .init(type: 1, major: nil, minor: nil, access: 1))
        #expect(CgroupDeviceProgram.Rule(parsing: "c 136:* rw") == .init(type: 2, major: 136, minor: nil, access: 6))
        #expect(CgroupDeviceProgram.Rule(parsing: "a *:* r") == .init(type: nil, major: nil, minor: nil, access: 2))
        for bad in ["c 1:3", "x 1:3 r", "c 1 r", "c 1:3 q", "c a:3 r", "c 1:3 "] {
            #expect(CgroupDeviceProgram.Rule(parsing: bad) == nil, "\(bad)")
        }
        #expect(CgroupDevices.allowed.allSatisfy { CgroupDeviceProgram.Rule(parsing: $0) != nil }, "Docker's list parses whole")
    }

    /// The program on the real cgroup2 mount of a hybrid host: a process moved into a cgroup
    /// carrying it opens /dev/null but gets EPERM opening a loop block device node it may
    /// create; the same process in a cgroup without it opens the node.
    @Test(.enabled(if: CgroupTestHost.canRunHybridV2, "needs root and the unified cgroup2 mount"))
    func aProcessInTheCgroupOpensNullButNotABlockDevice() throws {
        let scope = CgroupTestScope(root: CgroupTestHost.unifiedRoot)
        defer { scope.cleanup() }
        let dir = "/tmp/berth-devices-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = """
        echo $$ > "$CG/cgroup.procs" || exit 9
        head -c 1 /dev/null && echo null=ok
        mknod \(dir)/loop-$$ b 7 0 && echo mknod=ok
        head -c 1 \(dir)/loop-$$ > /dev/null; echo loop=$?
        """

        func run(restricted: Bool) throws -> (output: String, errors: String) {
            let cgroup = try scope.create(restricted ? "filtered" : "open")
            if restricted { try cgroup.restrictDevices() }
            let process = try CgroupTestProcess("CG=\(cgroup.directories[0]); \(script)")
            process.release()
            #expect(process.waitForExit(timeout: 30))
            return (process.output, process.errorOutput)
        }

        let open = try run(restricted: false)
        #expect(open.output == "null=ok\nmknod=ok\nloop=0", "\(open)")
        let filtered = try run(restricted: true)
        #expect(filtered.output == "null=ok\nmknod=ok\nloop=1", "\(filtered)")
        #expect(filtered.errors.contains("Operation not permitted"), "\(filtered.errors)")
    }
}
