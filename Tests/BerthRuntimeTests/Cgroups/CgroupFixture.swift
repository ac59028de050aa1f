import Foundation
import Glibc

@testable import BerthRuntime

/// A plain directory tree shaped like a cgroup mount, with the files the kernel would show, so
/// the file-writing logic runs without that kernel (v2 on this v1 host, or a v1 host without
/// swap accounting). Removed on deinit.
final class CgroupFixture {
    let root: String

    init() throws {
        var template = Array("/tmp/berth-cgroup-fixture-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        root = String(cString: made)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// Writes `files` (name → content) into `dir` (relative to the root), creating it.
    func populate(_ dir: String, _ files: [String: String]) {
        let path = dir.isEmpty ? root : "\(root)/\(dir)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (name, content) in files {
            FileManager.default.createFile(atPath: "\(path)/\(name)", contents: Data(content.utf8))
        }
    }

    func read(_ file: String) -> String { cgroupTestRead("\(root)/\(file)") }

    func write(_ file: String, _ content: String) {
        FileManager.default.createFile(atPath: "\(root)/\(file)", contents: Data(content.utf8))
    }

    func remove(_ file: String) { unlink("\(root)/\(file)") }

    func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: "\(root)/\(path)") }

    /// A v2 root offering cpuset, cpu, io, memory, hugetlb and pids on CPUs 0-3, with `parent/leaf`
    /// as the kernel would populate them once the controllers are enabled.
    static func v2(parent: String = "berth-test", leaf: String = "c1") throws -> CgroupFixture {
        let fixture = try CgroupFixture()
        fixture.populate("", [
            "cgroup.controllers": "cpuset cpu io memory hugetlb pids\n", "cgroup.subtree_control": "",
            "cgroup.procs": "", "cpuset.cpus.effective": "0-3\n",
        ])
        fixture.populate(parent, [
            "cgroup.controllers": "cpuset cpu io memory hugetlb pids\n", "cgroup.subtree_control": "", "cgroup.procs": "",
            "cpuset.cpus.effective": "0-3\n",
        ])
        fixture.populate("\(parent)/\(leaf)", [
            "cgroup.controllers": "cpuset cpu io memory pids\n", "cgroup.subtree_control": "", "cgroup.procs": "",
            "cgroup.freeze": "0\n", "cgroup.events": "populated 0\nfrozen 0\n", "cgroup.kill": "",
            "cpu.max": "max 100000\n", "cpu.weight": "100\n", "cpu.stat": "usage_usec 0\n", "cpuset.cpus": "\n",
            "memory.max": "max\n", "memory.swap.max": "max\n", "memory.current": "0\n", "memory.stat": "",
            "memory.events": "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n", "pids.max": "max\n", "pids.current": "0\n",
        ])
        return fixture
    }

    /// A v1 root with memory, `cpu,cpuacct` (plus the usual `cpu` and `cpuacct` symlinks) and
    /// pids hierarchies, and `parent/leaf` in each, populated as the kernel would.
    static func v1(parent: String = "berth-test", leaf: String = "c1", swapAccounting: Bool) throws -> CgroupFixture {
        let fixture = try CgroupFixture()
        var memory = [
            "cgroup.procs": "", "memory.limit_in_bytes": "9223372036854771712\n", "memory.usage_in_bytes": "0\n",
            "memory.max_usage_in_bytes": "0\n", "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n",
        ]
        if swapAccounting { memory["memory.memsw.limit_in_bytes"] = "9223372036854771712\n" }
        let cpu = ["cgroup.procs": "", "cpu.shares": "1024\n", "cpu.cfs_quota_us": "-1\n", "cpu.cfs_period_us": "100000\n"]
        let pids = ["cgroup.procs": "", "pids.max": "max\n", "pids.current": "0\n"]
        for (hierarchy, files) in [("memory", memory), ("cpu,cpuacct", cpu), ("pids", pids)] {
            fixture.populate(hierarchy, files)
            fixture.populate("\(hierarchy)/\(parent)", files)
            fixture.populate("\(hierarchy)/\(parent)/\(leaf)", files)
        }
        symlink("cpu,cpuacct", "\(fixture.root)/cpu")
        symlink("cpu,cpuacct", "\(fixture.root)/cpuacct")
        return fixture
    }
}
