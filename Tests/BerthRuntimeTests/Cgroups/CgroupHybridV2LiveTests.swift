import Foundation
import Glibc
import Testing

@testable import BerthRuntime

/// The v2 code against the real cgroup2 mount a hybrid host has at `/sys/fs/cgroup/unified`.
/// It offers no resource controllers (here only `hugetlb`, if any), but the core files are real:
/// `cgroup.procs`, `cgroup.freeze`/`cgroup.events`, `cgroup.kill`, `cpu.stat`.
@Suite("Cgroup v2 on the hybrid unified mount (live)", .serialized, .enabled(if: CgroupTestHost.canRunHybridV2, "needs root on a hybrid host"))
struct CgroupHybridV2LiveTests {
    @Test func coreFilesWorkWithoutControllers() throws {
        let scope = CgroupTestScope(root: CgroupTestHost.unifiedRoot)
        defer { scope.cleanup() }
        let cgroup = try scope.create()
        #expect(cgroup.version == .v2)
        #expect(cgroup.directories == ["\(CgroupTestHost.unifiedRoot)/\(scope.path())"])

        let spinner = try CgroupTestProcess("while :; do :; done")
        try cgroup.add(pid: spinner.pid)
        spinner.release()
        #expect(try cgroup.pids() == [spinner.pid])
        #expect(cgroupTestRead("/proc/\(spinner.pid)/cgroup").split(separator: "\n").contains("0::/\(scope.path())"))
        usleep(200_000)
        #expect(try cgroup.stats().cpuStats.cpuUsage.totalUsage > 0)

        try cgroup.freeze()
        #expect(cgroupTestRead("\(cgroup.directories[0])/cgroup.freeze") == "1")
        #expect(cgroupTestRead("\(cgroup.directories[0])/cgroup.events").contains("frozen 1"))
        #expect(cgroup.isFrozen())
        // The v2 freezer parks tasks in an interruptible sleep: a spinning loop shows S, not R.
        #expect(cgroupTestProcessState(spinner.pid)?.hasPrefix("S") == true, "\(cgroupTestProcessState(spinner.pid) ?? "gone")")
        let frozenAt = try cgroup.stats().cpuStats.cpuUsage.totalUsage
        usleep(300_000)
        #expect(try cgroup.stats().cpuStats.cpuUsage.totalUsage == frozenAt)
        try cgroup.thaw()
        #expect(!cgroup.isFrozen())
        #expect(cgroupTestWait(timeout: 5) { (try? cgroup.stats().cpuStats.cpuUsage.totalUsage).map { $0 > frozenAt } ?? false })

        // No memory controller: nothing to count, nothing to fail.
        #expect(cgroup.oomKillCount() == 0)

        try cgroup.destroy()
        #expect(spinner.waitForExit(timeout: 5))
        #expect(spinner.wasKilled(by: SIGKILL))
        #expect(!CgroupFS.exists(cgroup.directories[0]))
    }

    @Test(.enabled(if: !CgroupTestHost.unifiedControllers.contains("memory"), "the unified mount offers memory here"))
    func limitsNeedControllersThisMountLacks() throws {
        let scope = CgroupTestScope(root: CgroupTestHost.unifiedRoot)
        defer { scope.cleanup() }
        let error = cgroupError { _ = try scope.create { $0.memory = 64 << 20 } }
        #expect(error?.code == .unsupported)
        #expect(
            error?.message
                == "--memory 64m: the memory cgroup controller is not available in \(CgroupTestHost.unifiedRoot)/\(scope.path()); enable it or leave the limit unset")
        #expect(!CgroupFS.exists("\(CgroupTestHost.unifiedRoot)/\(scope.path())"))
    }
}
