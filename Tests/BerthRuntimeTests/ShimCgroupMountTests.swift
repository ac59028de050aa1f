import Foundation
import Testing
@testable import BerthRuntime

extension ShimTests {
    @Suite struct CgroupMounts {
        @Test func cgroupHierarchiesAreMountedReadOnlyAtTheNamespaceRoot() throws {
            let c = try ContainerFixture(["sh", "-c", """
                grep -c ':/$' /proc/self/cgroup; wc -l < /proc/self/cgroup
                grep ' /sys/fs/cgroup' /proc/mounts | grep -vc ' ro,'
                mkdir /sys/fs/cgroup/pids/x 2>/dev/null || echo refused
                """])
            _ = try c.run()
            let lines = try c.stdout().split(separator: "\n").map(String.init)
            let table = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
            try #require(!CgroupMount.parse(mountinfo: table).isEmpty)
            try #require(lines.count == 4, "\(lines)")
            #expect(lines[0] == lines[1])  // every hierarchy shows the namespace's root
            #expect(lines[2] == "0")  // all read-only
            #expect(lines[3] == "refused")
        }

        @Test func privilegedCgroupsAreWritable() throws {
            let c = try ContainerFixture(["sh", "-c", "grep ' /sys/fs/cgroup/pids ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1"]) {
                $0.privileged = true
                $0.process.capabilities = CapabilitySet.allNames
            }
            _ = try c.run()
            let out = try c.stdout()
            #expect(out == "rw\n")
        }
    }
}

struct CgroupMountTests {
    @Test func hostCgroupMountsAreReadFromMountinfo() {
        let table = """
            22 27 0:21 / /proc rw,relatime - proc proc rw
            31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
            32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
            40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime shared:9 - cgroup cgroup rw,xattr,release_agent=/x,name=systemd
            41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
            """
        #expect(CgroupMount.parse(mountinfo: table) == [
            CgroupMount(mountPoint: "/sys/fs/cgroup/cpu,cpuacct", type: "cgroup", options: "cpu,cpuacct"),
            CgroupMount(mountPoint: "/sys/fs/cgroup/systemd", type: "cgroup", options: "xattr,name=systemd"),
            CgroupMount(mountPoint: "/sys/fs/cgroup/unified", type: "cgroup2", options: "nsdelegate"),
        ])
    }
}
