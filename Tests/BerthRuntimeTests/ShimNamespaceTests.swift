import Foundation
import Testing
@testable import BerthRuntime

extension ShimTests {
    @Suite struct Namespaces {
        /// The namespace inode the test process itself is in.
        static func hostNamespace(_ name: String) throws -> String {
            try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/\(name)")
        }

        static func containerNamespaces(_ configure: @escaping (inout ContainerSpec) -> Void) throws -> [String: String] {
            let c = try ContainerFixture(["sh", "-c", "for n in net pid uts ipc mnt cgroup; do echo $n $(readlink /proc/self/ns/$n); done"], configure: configure)
            _ = try c.run()
            var out: [String: String] = [:]
            for line in try c.stdout().split(separator: "\n") {
                let parts = line.split(separator: " ", maxSplits: 1)
                if parts.count == 2 { out[String(parts[0])] = String(parts[1]) }
            }
            return out
        }

        @Test func everyNamespaceIsPrivateByDefault() throws {
            let ns = try Self.containerNamespaces { _ in }
            for name in ["net", "pid", "uts", "ipc", "mnt", "cgroup"] {
                let host = try Self.hostNamespace(name)
                #expect(ns[name] != nil && ns[name] != host, "\(name)")
            }
        }

        @Test func hostNamespacesAreShared() throws {
            let ns = try Self.containerNamespaces {
                $0.namespaces.network = "host"
                $0.namespaces.pid = "host"
                $0.namespaces.uts = "host"
                $0.namespaces.ipc = "host"
            }
            for name in ["net", "pid", "uts", "ipc"] {
                let host = try Self.hostNamespace(name)
                #expect(ns[name] == host, "\(name)")
            }
            let hostMount = try Self.hostNamespace("mnt")
            #expect(ns["mnt"] != hostMount)
        }

        @Test func networkNamespacePathIsJoined() throws {
            let first = try ContainerFixture(["sleep", "30"])
            let report = try first.start()
            let pid = try #require(report.pid)
            let target = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net")
            let ns = try Self.containerNamespaces { $0.namespaces.network = "/proc/\(pid)/ns/net" }
            #expect(ns["net"] == target)
            _ = try ShimConnection.request(.signal(9), socketPath: first.socketPath)
            try first.waitForExit()
        }

        @Test func hostUTSNamespaceKeepsTheHostName() throws {
            let c = try ContainerFixture(["hostname"]) { $0.namespaces.uts = "host" }
            _ = try c.run()
            let host = ProcessInfo.processInfo.hostName
            let out = try c.stdout()
            #expect(out == host + "\n")
        }
    }
}
