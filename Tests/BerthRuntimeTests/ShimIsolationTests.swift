import Foundation
import Testing
@testable import BerthRuntime

extension ShimTests {
    @Suite struct Isolation {
        @Test func hostnameIsSet() throws {
            let c = try ContainerFixture(["hostname"])
            _ = try c.run()
            #expect(try c.stdout() == "berthhost\n")
        }

        @Test func theProcessIsPID1() throws {
            let c = try ContainerFixture(["sh", "-c", "echo $$; cut -d' ' -f1 /proc/self/stat"])
            _ = try c.run()
            let lines = try c.stdout().split(separator: "\n")
            #expect(lines.first == "1")
            #expect(lines.count == 2)
        }

        @Test func rootGetsExactlyDockersDefaultCapabilities() throws {
            let c = try ContainerFixture(["grep", "^Cap", "/proc/self/status"])
            _ = try c.run()
            let caps = try c.stdout()
            #expect(caps.contains("CapEff:\t00000000a80425fb"))
            #expect(caps.contains("CapPrm:\t00000000a80425fb"))
            #expect(caps.contains("CapBnd:\t00000000a80425fb"))
            #expect(caps.contains("CapInh:\t0000000000000000"))
            #expect(caps.contains("CapAmb:\t0000000000000000"))
        }

        @Test func nonRootUserHasNoEffectiveCapabilities() throws {
            let c = try ContainerFixture(["sh", "-c", "id; grep ^CapEff /proc/self/status"]) { $0.process.user = "nobody" }
            _ = try c.run()
            let out = try c.stdout()
            #expect(out.hasPrefix("uid=65534(nobody) gid=65534(nogroup)"))
            #expect(out.contains("CapEff:\t0000000000000000"))
        }

        @Test(arguments: [
            ("nobody", "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)"),
            ("65534", "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)"),
            ("1234:10", "uid=1234 gid=10(wheel) groups=10(wheel)"),
            ("nobody:wheel", "uid=65534(nobody) gid=10(wheel) groups=10(wheel)"),
            ("", "uid=0(root) gid=0(root) groups=0(root),10(wheel)"),
        ])
        func userIsResolvedInTheContainersPasswd(user: String, expected: String) throws {
            let c = try ContainerFixture(["id"]) { $0.process.user = user }
            _ = try c.run()
            let out = try c.stdout()
            #expect(out == expected + "\n")
        }

        @Test func rlimitsNoNewPrivilegesAndGroupAddApply() throws {
            let c = try ContainerFixture(["sh", "-c", "ulimit -n; ulimit -Hn; grep ^NoNewPrivs /proc/self/status; id -G"]) {
                $0.process.rlimits = [.init(type: "RLIMIT_NOFILE", soft: 512, hard: 1024)]
                $0.process.noNewPrivileges = true
                $0.process.user = "nobody"
                $0.process.additionalGroups = ["wheel", "4242"]
            }
            _ = try c.run()
            let out = try c.stdout()
            #expect(out == "512\n1024\nNoNewPrivs:\t1\n65534 10 4242\n")
        }

        @Test func missingWorkingDirectoryIsCreatedOwnedByTheUser() throws {
            let c = try ContainerFixture(["sh", "-c", "pwd; stat -c %u:%g ."]) {
                $0.process.cwd = "/work/here"
                $0.process.user = "nobody"
            }
            _ = try c.run()
            #expect(try c.stdout() == "/work/here\n65534:65534\n")
        }

        @Test func homeComesFromPasswdWhenNotInTheEnvironment() throws {
            let c = try ContainerFixture(["sh", "-c", "echo $HOME"]) { $0.process.user = "nobody" }
            _ = try c.run()
            #expect(try c.stdout() == "/nonexistent\n")
        }

        @Test func etcFilesAreBoundFromTheHost() throws {
            let c = try ContainerFixture(["sh", "-c", "cat /etc/hosts /etc/hostname /etc/resolv.conf"])
            let hosts = c.root + "/hosts", name = c.root + "/hostname", resolv = c.root + "/resolv.conf"
            try "127.0.0.1 localhost\n10.1.2.3 berthhost\n".write(toFile: hosts, atomically: false, encoding: .utf8)
            try "berthhost\n".write(toFile: name, atomically: false, encoding: .utf8)
            try "nameserver 10.0.0.53\n".write(toFile: resolv, atomically: false, encoding: .utf8)
            c.spec.etcHosts = hosts
            c.spec.etcHostname = name
            c.spec.etcResolvConf = resolv
            _ = try c.run()
            #expect(try c.stdout() == "127.0.0.1 localhost\n10.1.2.3 berthhost\nberthhost\nnameserver 10.0.0.53\n")
        }

        @Test func terminalContainerGetsAPtyFromItsOwnDevpts() throws {
            let c = try ContainerFixture(["sh", "-c", "tty; stty size"]) {
                $0.process.terminal = true
                $0.process.consoleSize = [40, 120]
            }
            _ = try c.run()
            let log = try c.logEntries()
            #expect(log.allSatisfy { $0.stream == "stdout" })
            #expect(log.map(\.log).joined() == "/dev/pts/0\r\n40 120\r\n")
        }

        @Test func ownNetworkNamespaceHasLoopbackUp() throws {
            let c = try ContainerFixture(["sh", "-c", "ls /sys/class/net; ping -c1 -W2 127.0.0.1 >/dev/null && echo ok"])
            _ = try c.run()
            #expect(try c.stdout() == "lo\nok\n")
        }

        @Test func specMountsBindReadOnlyAndTmpfs() throws {
            let c = try ContainerFixture(["sh", "-c", """
                cat /data/f; touch /data/g 2>/dev/null || echo ro; echo w > /rw/x && cat /rw/x
                grep ' /scratch ' /proc/mounts | cut -d' ' -f3,4
                """])
            let data = c.root + "/data", rw = c.root + "/rw"
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: rw, withIntermediateDirectories: true)
            try "hello\n".write(toFile: data + "/f", atomically: false, encoding: .utf8)
            c.spec.mounts = [
                .init(type: "bind", source: data, destination: "/data", options: ["rbind", "ro"]),
                .init(type: "bind", source: rw, destination: "/rw", options: ["rbind", "rw"]),
                .init(type: "tmpfs", source: "", destination: "/scratch", options: ["nosuid", "size=1m", "mode=1777"]),
            ]
            _ = try c.run()
            #expect(try c.stdout() == "hello\nro\nw\ntmpfs rw,nosuid,relatime,size=1024k\n")
            #expect(try String(contentsOfFile: rw + "/x", encoding: .utf8) == "w\n")
        }

        @Test func readOnlyRootfsRefusesWrites() throws {
            let c = try ContainerFixture(["sh", "-c", "touch /x 2>/dev/null || echo ro; echo ok > /dev/shm/y && cat /dev/shm/y"]) {
                $0.rootfs.readOnly = true
            }
            _ = try c.run()
            #expect(try c.stdout() == "ro\nok\n")
        }
    }
}
