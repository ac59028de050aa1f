import Foundation
import Glibc
import Testing

@testable import BerthRuntime

/// Real cgroups on this v1 host, with real processes. Each test works under its own
/// `berth-test-<uuid>` parent and removes it.
@Suite("Cgroup v1 (live)", .serialized, .enabled(if: CgroupTestHost.canRunV1, "needs root on a cgroup v1 host"))
struct CgroupV1LiveTests {
    @Test func createWritesTheLimitFiles() throws {
        let scope = CgroupTestScope()
        defer { scope.cleanup() }
        let cgroup = try scope.create {
            $0.memory = 64 << 20
            $0.memorySwap = 128 << 20
            $0.cpuQuota = 50_000
            $0.cpuPeriod = 100_000
            $0.cpuShares = 512
            $0.cpusetCpus = "0"
            $0.pidsLimit = 10
        }
        #expect(cgroup.version == .v1)
        for dir in cgroup.directories { #expect(CgroupFS.isDirectory(dir), "\(dir)") }
        #expect(cgroupTestRead("\(scope.v1Dir("memory"))/memory.limit_in_bytes") == "\(64 << 20)")
        #expect(cgroupTestRead("\(scope.v1Dir("memory"))/memory.memsw.limit_in_bytes") == "\(128 << 20)")
        #expect(cgroupTestRead("\(scope.v1Dir("cpu"))/cpu.cfs_quota_us") == "50000")
        #expect(cgroupTestRead("\(scope.v1Dir("cpu"))/cpu.cfs_period_us") == "100000")
        #expect(cgroupTestRead("\(scope.v1Dir("cpu"))/cpu.shares") == "512")
        #expect(cgroupTestRead("\(scope.v1Dir("cpuset"))/cpuset.cpus") == "0")
        // mems (and the parent's cpus) were copied down, or no task could join.
        #expect(cgroupTestRead("\(scope.v1Dir("cpuset"))/cpuset.mems") == cgroupTestRead("/sys/fs/cgroup/cpuset/cpuset.mems"))
        #expect(cgroupTestRead("/sys/fs/cgroup/cpuset/\(scope.name)/cpuset.cpus") == cgroupTestRead("/sys/fs/cgroup/cpuset/cpuset.cpus"))
        #expect(cgroupTestRead("\(scope.v1Dir("pids"))/pids.max") == "10")
    }

    @Test func addedProcessIsInEveryHierarchy() throws {
        let scope = CgroupTestScope()
        defer { scope.cleanup() }
        let cgroup = try scope.create()
        let sleeper = try CgroupTestProcess("exec sleep 30")
        try cgroup.add(pid: sleeper.pid)
        sleeper.release()
        #expect(try cgroup.pids() == [sleeper.pid])
        let lines = cgroupTestRead("/proc/\(sleeper.pid)/cgroup").split(separator: "\n")
        for controller in ["memory", "cpu", "cpuacct", "cpuset", "pids", "freezer", "blkio", "devices", "name=systemd"] {
            let line = lines.first { $0.split(separator: ":", maxSplits: 2).dropFirst().first?.split(separator: ",").contains(Substring(controller)) == true }
            #expect(line?.hasSuffix(":/\(scope.path())") == true, "\(controller): \(line ?? "no line")")
        }
        if CgroupFS.exists("/sys/fs/cgroup/unified/cgroup.procs") {
            #expect(lines.contains("0::/\(scope.path())"))
        }
        try cgroup.destroy()
        #expect(sleeper.waitForExit(timeout: 5))
        #expect(sleeper.wasKilled(by: SIGKILL))
    }

    @Test func memoryHogIsOOMKilled() throws {
        let scope = CgroupTestScope()
        defer { scope.cleanup() }
        let cgroup = try scope.create { $0.memory = 32 << 20; $0.memorySwap = 32 << 20 }
        #expect(cgroup.oomKillCount() == 0)
        let hog = try CgroupTestProcess("x=$(head -c 200m /dev/zero | tr '\\0' a); echo survived")
        try cgroup.add(pid: hog.pid)
        hog.release()
        #expect(hog.waitForExit(timeout: 60))
        #expect(hog.wasKilled(by: SIGKILL))
        #expect(!hog.output.contains("survived"))
        #expect(cgroup.oomKillCount() > 0)
        let stats = try cgroup.stats()
        #expect(stats.memoryStats.limit == 32 << 20)
        #expect((stats.memoryStats.maxUsage ?? 0) > 16 << 20)
        // Present on v1; this kernel leaves it 0 when memory.memsw is limited too.
        #expect(stats.memoryStats.failcnt != nil)
    }

    @Test func pidsLimitMakesForkFail() throws {
        let scope = CgroupTestScope()
        defer { scope.cleanup() }
        let cgroup = try scope.create { $0.pidsLimit = 10 }
        let forker = try CgroupTestProcess("for i in $(seq 50); do sleep 5 & done; echo loop-done; wait")
        try cgroup.add(pid: forker.pid)
        forker.release()
        // fork() gets EAGAIN at pids.max; dash reports "Cannot fork" and gives up on the script.
        #expect(cgroupTestWait(timeout: 30) { forker.errorOutput.contains("Cannot fork") }, "stderr: \(forker.errorOutput)")
        #expect(!forker.output.contains("loop-done"))
        let stats = try cgroup.stats()
        #expect(stats.pidsStats.limit == 10)
        #expect(stats.pidsStats.current <= 10)
        #expect(try cgroup.pids().count <= 10)
        try cgroup.destroy()
        #expect(forker.waitForExit(timeout: 5))
    }

    @Test func freezeStopsTheProcessAndThawResumesIt() throws {
        let scope = CgroupTestScope()
        defer { scope.cleanup() }
        let cgroup = try scope.create()
        let spinner = try CgroupTestProcess("while :; do :; done")
        try cgroup.add(pid: spinner.pid)
        spinner.release()
        usleep(200_000)

        try cgroup.freeze()
        #expect(cgroupTestRead("\(scope.v1Dir("freezer"))/freezer.state") == "FROZEN")
        #expect(cgroup.isFrozen())
        #expect(cgroupTestProcessState(spinner.pid)?.hasPrefix("D") == true, "\(cgroupTestProcessState(spinner.pid) ?? "gone")")
        let frozenAt = try cgroup.stats().cpuStats.cpuUsage.totalUsage
        usleep(300_000)
        #expect(try cgroup.stats().cpuStats.cpuUsage.totalUsage == frozenAt)

        try cgroup.thaw()
        #expect(cgroupTestRead("\(scope.v1Dir("freezer"))/freezer.state") == "THAWED")
        #expect(!cgroup.isFrozen())
        #expect(cgroupTestWait(timeout: 5) { (try? cgroup.stats().cpuStats.cpuUsage.totalUsage).map { $0 > frozenAt } ?? false })
        #expect(cgroupTestProcessState(spinner.pid)?.hasPrefix("D") == false)
    }

    @Test func destroyingAPausedCgroupKillsIt() throws {
        let scope = CgroupTestScope()
        defer { scope.cleanup() }
        let cgroup = try scope.create()
        let sleeper = try CgroupTestProcess("exec sleep 30")
        try cgroup.add(pid: sleeper.pid)
        sleeper.release()
        try cgroup.freeze()
        try cgroup.destroy()
        #expect(sleeper.waitForExit(timeout: 5))
        #expect(!CgroupFS.exists(scope.v1Dir("freezer")))
    }

    @Test func statsReportMemoryAndGrowingCPU() throws {
        let scope = CgroupTestScope()
        defer { scope.cleanup() }
        let cgroup = try scope.create { $0.memory = 64 << 20; $0.pidsLimit = 20 }
        // Pages are charged where they are allocated (v1 moves no charge on attach): allocate inside.
        let spinner = try CgroupTestProcess("x=$(head -c 4m /dev/zero | tr '\\0' a); while :; do :; done")
        try cgroup.add(pid: spinner.pid)
        spinner.release()
        usleep(200_000)
        let first = try cgroup.stats()
        usleep(500_000)
        let second = try cgroup.stats()
        #expect(second.cpuStats.cpuUsage.totalUsage > first.cpuStats.cpuUsage.totalUsage)
        #expect(second.cpuStats.cpuUsage.totalUsage - first.cpuStats.cpuUsage.totalUsage > 100_000_000)
        #expect(second.cpuStats.systemCpuUsage > first.cpuStats.systemCpuUsage)
        #expect(second.cpuStats.cpuUsage.usageInUsermode + second.cpuStats.cpuUsage.usageInKernelmode > 0)
        #expect((second.cpuStats.cpuUsage.percpuUsage?.count ?? 0) >= Int(second.cpuStats.onlineCpus))
        #expect(second.cpuStats.onlineCpus == CgroupHost.onlineCPUs())
        #expect(second.memoryStats.usage > 0)
        #expect(second.memoryStats.limit == 64 << 20)
        #expect(second.memoryStats.stats["rss"] != nil || second.memoryStats.stats["anon"] != nil)
        #expect(second.pidsStats.current == 1)
        #expect(second.pidsStats.limit == 20)
        #expect(second.blkioStats.ioServiceBytesRecursive != nil)
    }

    @Test func updateChangesTheLimitFiles() throws {
        let scope = CgroupTestScope()
        defer { scope.cleanup() }
        let cgroup = try scope.create { $0.memory = 64 << 20; $0.memorySwap = 128 << 20; $0.cpuShares = 512; $0.pidsLimit = 10 }
        let memory = "\(scope.v1Dir("memory"))/memory.limit_in_bytes"
        let memsw = "\(scope.v1Dir("memory"))/memory.memsw.limit_in_bytes"

        try cgroup.update(scope.spec { $0.memory = 96 << 20 })
        #expect(cgroupTestRead(memory) == "\(96 << 20)")
        #expect(
            cgroupError { try cgroup.update(scope.spec { $0.memory = 256 << 20 }) }?.message
                == "--memory 256m: memory limit should be smaller than the already set --memory-swap (128m); update --memory-swap at the same time")
        // Raising both: swap first, or the kernel refuses.
        try cgroup.update(scope.spec { $0.memory = 256 << 20; $0.memorySwap = 512 << 20 })
        #expect(cgroupTestRead(memory) == "\(256 << 20)")
        #expect(cgroupTestRead(memsw) == "\(512 << 20)")
        // Lowering both: memory first.
        try cgroup.update(scope.spec { $0.memory = 32 << 20; $0.memorySwap = 48 << 20 })
        #expect(cgroupTestRead(memory) == "\(32 << 20)")
        #expect(cgroupTestRead(memsw) == "\(48 << 20)")

        try cgroup.update(scope.spec { $0.cpuShares = 2048; $0.cpuQuota = 150_000; $0.cpuPeriod = 100_000; $0.cpusetCpus = "0-1" })
        #expect(cgroupTestRead("\(scope.v1Dir("cpu"))/cpu.shares") == "2048")
        #expect(cgroupTestRead("\(scope.v1Dir("cpu"))/cpu.cfs_quota_us") == "150000")
        #expect(cgroupTestRead("\(scope.v1Dir("cpuset"))/cpuset.cpus") == CgroupCPUList(parsing: "0-1")?.description)
        try cgroup.update(scope.spec { $0.cpuQuota = -1 })
        #expect(cgroupTestRead("\(scope.v1Dir("cpu"))/cpu.cfs_quota_us") == "-1")

        try cgroup.update(scope.spec { $0.pidsLimit = 0 })
        #expect(cgroupTestRead("\(scope.v1Dir("pids"))/pids.max") == "max")
        try cgroup.update(scope.spec { $0.pidsLimit = 7 })
        #expect(cgroupTestRead("\(scope.v1Dir("pids"))/pids.max") == "7")
    }

    @Test func updateBelowCurrentUsageIsBusy() throws {
        let scope = CgroupTestScope()
        defer { scope.cleanup() }
        let cgroup = try scope.create { $0.memory = 128 << 20; $0.memorySwap = 128 << 20 }
        let holder = try CgroupTestProcess("x=$(head -c 40m /dev/zero | tr '\\0' a); echo ready; sleep 30")
        try cgroup.add(pid: holder.pid)
        holder.release()
        #expect(cgroupTestWait(timeout: 30) { holder.output.contains("ready") })
        let error = cgroupError { try cgroup.update(scope.spec { $0.memory = 8 << 20; $0.memorySwap = 8 << 20 }) }
        #expect(error?.code == .busy)
        #expect(error?.message.hasPrefix("--memory 8m: the container already uses ") == true, "\(error?.message ?? "no error")")
        #expect(cgroupTestRead("\(scope.v1Dir("memory"))/memory.limit_in_bytes") == "\(128 << 20)")
    }

    @Test func invalidValuesAreRefusedAndLeaveNothing() throws {
        let scope = CgroupTestScope()
        defer { scope.cleanup() }
        #expect(cgroupError { _ = try scope.create { $0.memory = 4 << 20 } }?.message == "--memory 4m: minimum memory limit is 6MB")
        #expect(!CgroupFS.exists(scope.v1Dir("memory")))
        let online = CgroupCPUList(parsing: CgroupTestHost.onlineCPUs)?.description ?? ""
        #expect(cgroupError { _ = try scope.create { $0.cpusetCpus = "7" } }?.message == "--cpuset-cpus 7: this machine has CPUs \(online)")
        #expect(!CgroupFS.exists(scope.v1Dir("cpuset")))
        #expect(cgroupError { _ = try scope.create { $0.cpuShares = 1 } }?.message == "--cpu-shares 1: minimum allowed cpu-shares is 2")
        #expect(cgroupError { _ = try scope.create("../../etc") }?.code == .invalidArgument)
    }

    @Test func destroyKillsEverythingAndRemovesEveryDirectory() throws {
        let scope = CgroupTestScope()
        defer { scope.cleanup() }
        let cgroup = try scope.create { $0.memory = 64 << 20 }
        let family = try CgroupTestProcess("sleep 30 & sleep 30 & wait")
        try cgroup.add(pid: family.pid)
        family.release()
        #expect(cgroupTestWait(timeout: 5) { ((try? cgroup.pids()) ?? []).count == 3 })
        let members = try cgroup.pids()
        try cgroup.destroy()
        #expect(family.waitForExit(timeout: 5))
        #expect(cgroupTestWait(timeout: 5) { members.allSatisfy(cgroupTestProcessIsDead) })
        for dir in cgroup.directories { #expect(!CgroupFS.exists(dir), "\(dir)") }
        #expect(cgroupError { _ = try Cgroup.open(path: scope.path()) }?.code == .notFound)
        try cgroup.destroy()
    }

    @Test func openFindsAnExistingCgroup() throws {
        let scope = CgroupTestScope()
        defer { scope.cleanup() }
        _ = try scope.create { $0.pidsLimit = 12 }
        let reopened = try Cgroup.open(path: scope.path())
        #expect(try reopened.stats().pidsStats.limit == 12)
        #expect(reopened.directories.count == CgroupV1.discover(root: "/sys/fs/cgroup").count)
    }
}
