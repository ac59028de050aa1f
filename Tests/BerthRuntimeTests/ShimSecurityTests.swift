import Foundation
import Testing
@testable import BerthRuntime

extension ShimTests {
    @Suite struct Security {
        @Test func maskedPathsReadEmptyAndReadOnlyPathsRefuseWrites() throws {
            let c = try ContainerFixture(["sh", "-c", """
                cat /proc/keys /proc/kcore 2>/dev/null | wc -c
                ls /sys/firmware | wc -l
                echo x 2>/dev/null > /proc/sys/kernel/domainname || echo ro
                """])
            _ = try c.run()
            #expect(try c.stdout() == "0\n0\nro\n")
        }

        @Test func privilegedSkipsMasksAndKeepsAllCapabilities() throws {
            let c = try ContainerFixture(["sh", "-c", "grep ^CapEff /proc/self/status; grep -c ' /proc/keys ' /proc/mounts"]) {
                $0.privileged = true
                $0.process.capabilities = CapabilitySet.allNames
            }
            _ = try c.run()
            let out = try c.stdout()
            #expect(!out.contains("CapEff:\t00000000a80425fb"))
            #expect(out.hasSuffix("0\n"))
        }

        @Test func noHostFileDescriptorLeaksIntoTheContainer() throws {
            // Extra fds open in the shim's parent must not reach the container either.
            let c = try ContainerFixture(["ls", "/proc/self/fd"])
            _ = try c.run()
            #expect(try c.stdout() == "0\n1\n2\n3\n")
        }

        @Test func workdirThroughProcSelfFdIsRefused() throws {
            // CVE-2024-21626: a WORKDIR of /proc/self/fd/N must never reach a host directory.
            for fd in 3...8 {
                let c = try ContainerFixture(["pwd"]) { $0.process.cwd = "/proc/self/fd/\(fd)" }
                let (report, _, _) = try c.run()
                #expect(report.exitCode == 125, "cwd /proc/self/fd/\(fd)")
            }
        }

        @Test func symlinkedEtcHostsInTheImageCannotWriteOutsideTheRootfs() throws {
            let escape = "/tmp/berth-escape-\(UInt32.random(in: 0...UInt32.max))"
            let c = try ContainerFixture(["cat", "/etc/hosts"])
            try FileManager.default.createSymbolicLink(atPath: c.lower + "/etc/hosts",
                                                       withDestinationPath: "/../../../.." + escape)
            let hosts = c.root + "/hosts"
            try "10.9.9.9 inside\n".write(toFile: hosts, atomically: false, encoding: .utf8)
            c.spec.etcHosts = hosts
            let (report, _, _) = try c.run()
            #expect(report.pid != nil)
            #expect(try c.stdout() == "10.9.9.9 inside\n")
            #expect(!FileManager.default.fileExists(atPath: escape))
            // The link was followed inside the container root: the file was created in the upper dir.
            #expect(FileManager.default.fileExists(atPath: c.root + "/upper" + escape))
        }

        @Test func symlinkedVolumeTargetStaysInsideTheRootfs() throws {
            let escape = "/tmp/berth-escape-dir-\(UInt32.random(in: 0...UInt32.max))"
            let c = try ContainerFixture(["ls", "/vol"])
            try FileManager.default.createSymbolicLink(atPath: c.lower + "/vol", withDestinationPath: "../../.." + escape)
            let source = c.root + "/volsrc"
            try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
            try "x".write(toFile: source + "/marker", atomically: false, encoding: .utf8)
            c.spec.mounts = [.init(type: "bind", source: source, destination: "/vol", options: ["rbind"])]
            _ = try c.run()
            #expect(!FileManager.default.fileExists(atPath: escape))
            #expect(mountsMentioning(c.root).isEmpty)
        }

        @Test(arguments: ["/proc", "/proc/sys", "/proc/self/../1/root", "/../proc/sysrq-trigger"])
        func mountsOverProcAreRefused(destination: String) throws {
            let c = try ContainerFixture(["true"]) {
                $0.mounts = [.init(type: "tmpfs", source: "", destination: destination, options: [])]
            }
            let (report, _, _) = try c.run()
            #expect(report.exitCode == 125)
            #expect(report.error?.contains("cannot be mounted inside /proc") == true, "\(report.error ?? "")")
        }

        @Test func symlinkedProcInTheImageIsRefused() throws {
            let c = try ContainerFixture(["true"])
            try FileManager.default.createDirectory(atPath: c.lower + "/x", withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: c.lower + "/proc", withDestinationPath: "/x")
            let (report, _, _) = try c.run()
            #expect(report.exitCode == 125)
            #expect(report.error?.contains("/proc must not be a symlink") == true, "\(report.error ?? "")")
        }

        @Test func shimRunsFromASealedCopyOfItself() throws {
            let c = try ContainerFixture(["sleep", "30"])
            _ = try c.start()
            let pid = try #require(c.shim?.pid)
            let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")
            #expect(exe.hasPrefix("/memfd:berth-shim"))
            // Writing through the link is refused: the copy is sealed.
            let fd = open("/proc/\(pid)/exe", O_WRONLY)
            #expect(fd < 0)
            if fd >= 0 { close(fd) }
            _ = try ShimConnection.request(.signal(9), socketPath: c.socketPath)
            try c.waitForExit()
        }

        @Test func containerMountsNeverAppearOnTheHost() throws {
            let c = try ContainerFixture(["sleep", "30"])
            _ = try c.start()
            #expect(mountsMentioning(c.root).isEmpty)
            _ = try ShimConnection.request(.signal(9), socketPath: c.socketPath)
            try c.waitForExit()
            #expect(mountsMentioning(c.root).isEmpty)
        }
    }
}

/// Lines of the host's mount table that mention `path`.
func mountsMentioning(_ path: String) -> [String] {
    let table = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
    return table.split(separator: "\n").map(String.init).filter { $0.contains(path) }
}
