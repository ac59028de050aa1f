import Foundation
import Testing

@testable import BerthRuntime

/// The cgroup v2 logic against a fixture tree (this host is v1): what is written where.
@Suite("Cgroup v2 (fixture)")
struct CgroupV2FixtureTests {
    func spec(_ configure: (inout ContainerSpec.CgroupSpec) -> Void = { _ in }) -> ContainerSpec.CgroupSpec {
        var spec = ContainerSpec.CgroupSpec(path: "berth-test/c1")
        configure(&spec)
        return spec
    }

    @Test func createEnablesControllersAndWritesLimits() throws {
        let fixture = try CgroupFixture.v2()
        let cgroup = try Cgroup.create(
            spec {
                $0.memory = 64 << 20
                $0.memorySwap = 96 << 20
                $0.cpuShares = 1024
                $0.cpuQuota = 50_000
                $0.cpuPeriod = 100_000
                $0.cpusetCpus = "1-2"
                $0.pidsLimit = 10
            }, root: fixture.root)
        #expect(cgroup.version == .v2)
        #expect(cgroup.directories == ["\(fixture.root)/berth-test/c1"])
        // hugetlb is offered but not needed; the rest are handed down to the parent and the leaf.
        #expect(fixture.read("cgroup.subtree_control") == "+cpuset +cpu +io +memory +pids")
        #expect(fixture.read("berth-test/cgroup.subtree_control") == "+cpuset +cpu +io +memory +pids")
        #expect(fixture.read("berth-test/c1/memory.max") == "\(64 << 20)")
        #expect(fixture.read("berth-test/c1/memory.swap.max") == "\(32 << 20)")
        #expect(fixture.read("berth-test/c1/cpu.weight") == "39")
        #expect(fixture.read("berth-test/c1/cpu.max") == "50000 100000")
        #expect(fixture.read("berth-test/c1/cpuset.cpus") == "1-2")
        #expect(fixture.read("berth-test/c1/pids.max") == "10")
    }

    @Test func alreadyEnabledControllersAreLeftAlone() throws {
        let fixture = try CgroupFixture.v2()
        fixture.write("cgroup.subtree_control", "cpuset cpu io memory pids\n")
        _ = try Cgroup.create(spec(), root: fixture.root)
        #expect(fixture.read("cgroup.subtree_control") == "cpuset cpu io memory pids")
    }

    @Test func updateChangesOnlyWhatIsGiven() throws {
        let fixture = try CgroupFixture.v2()
        let cgroup = try Cgroup.create(spec { $0.memory = 64 << 20; $0.cpuQuota = 50_000; $0.cpuPeriod = 250_000 }, root: fixture.root)
        #expect(fixture.read("berth-test/c1/memory.swap.max") == "max")

        try cgroup.update(spec { $0.cpuQuota = 20_000 })
        #expect(fixture.read("berth-test/c1/cpu.max") == "20000 250000")
        try cgroup.update(spec { $0.cpuPeriod = 100_000 })
        #expect(fixture.read("berth-test/c1/cpu.max") == "20000 100000")
        try cgroup.update(spec { $0.cpuQuota = -1 })
        #expect(fixture.read("berth-test/c1/cpu.max") == "max 100000")

        // Swap alone is computed against the memory limit in force.
        try cgroup.update(spec { $0.memorySwap = 80 << 20 })
        #expect(fixture.read("berth-test/c1/memory.swap.max") == "\(16 << 20)")
        try cgroup.update(spec { $0.memory = 80 << 20; $0.memorySwap = 80 << 20 })
        #expect(fixture.read("berth-test/c1/memory.swap.max") == "0")
        try cgroup.update(spec { $0.memory = -1 })
        #expect(fixture.read("berth-test/c1/memory.max") == "max")
        #expect(fixture.read("berth-test/c1/memory.swap.max") == "max")

        try cgroup.update(spec { $0.pidsLimit = 5 })
        #expect(fixture.read("berth-test/c1/pids.max") == "5")
        try cgroup.update(spec { $0.pidsLimit = 0 })
        #expect(fixture.read("berth-test/c1/pids.max") == "max")
    }

    @Test func swapLimitWithoutSwapAccountingIsRefused() throws {
        let fixture = try CgroupFixture.v2()
        fixture.remove("berth-test/c1/memory.swap.max")
        let error = cgroupError { _ = try Cgroup.create(spec { $0.memory = 64 << 20; $0.memorySwap = 128 << 20 }, root: fixture.root) }
        #expect(error?.code == .unsupported)
        #expect(error?.message.contains("--memory-swap 128m: swap limits are unsupported here") == true)
        #expect(error?.message.contains("memory.swap.max") == true)
        // The same value as --memory means "no swap": accepted, and nothing to write.
        _ = try Cgroup.create(spec { $0.memory = 64 << 20; $0.memorySwap = 64 << 20 }, root: fixture.root)
        #expect(fixture.read("berth-test/c1/memory.max") == "\(64 << 20)")
        #expect(!fixture.exists("berth-test/c1/memory.swap.max"))
    }

    @Test func missingControllerIsReported() throws {
        let fixture = try CgroupFixture.v2()
        fixture.write("berth-test/c1/cgroup.controllers", "cpu memory\n")
        let error = cgroupError { _ = try Cgroup.create(spec { $0.pidsLimit = 10 }, root: fixture.root) }
        #expect(
            error?.message
                == "--pids-limit 10: the pids cgroup controller is not available in \(fixture.root)/berth-test/c1; enable it or leave the limit unset")
    }

    @Test func cpusetIsCheckedAgainstTheParent() throws {
        let fixture = try CgroupFixture.v2()
        let error = cgroupError { _ = try Cgroup.create(spec { $0.cpusetCpus = "2-5" }, root: fixture.root) }
        #expect(error?.message == "--cpuset-cpus 2-5: this machine has CPUs 0-3")
    }

    @Test func statsReadEveryFile() throws {
        let fixture = try CgroupFixture.v2()
        let cgroup = try Cgroup.create(spec(), root: fixture.root)
        fixture.populate("berth-test/c1", [
            "memory.current": "1234\n", "memory.peak": "2000\n", "memory.max": "67108864\n",
            "memory.stat": "anon 100\nfile 200\ninactive_file 50\n",
            "cpu.stat": "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 10\nnr_throttled 2\nthrottled_usec 300\n",
            "pids.current": "3\n", "pids.max": "10\n", "io.stat": "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n",
        ])
        let stats = try cgroup.stats()
        #expect(stats.memoryStats.usage == 1234)
        #expect(stats.memoryStats.maxUsage == 2000)
        #expect(stats.memoryStats.limit == 67_108_864)
        #expect(stats.memoryStats.failcnt == nil)
        #expect(stats.memoryStats.stats == ["anon": 100, "file": 200, "inactive_file": 50])
        #expect(stats.cpuStats.cpuUsage.totalUsage == 1_500_000)
        #expect(stats.cpuStats.cpuUsage.usageInUsermode == 1_000_000)
        #expect(stats.cpuStats.cpuUsage.usageInKernelmode == 500_000)
        #expect(stats.cpuStats.cpuUsage.percpuUsage == nil)
        #expect(stats.cpuStats.throttlingData.periods == 10)
        #expect(stats.cpuStats.throttlingData.throttledPeriods == 2)
        #expect(stats.cpuStats.throttlingData.throttledTime == 300_000)
        #expect(stats.cpuStats.onlineCpus > 0)
        #expect(stats.cpuStats.systemCpuUsage > 0)
        #expect(stats.pidsStats.current == 3)
        #expect(stats.pidsStats.limit == 10)
        #expect(stats.blkioStats.ioServiceBytesRecursive?.map(\.value) == [4096, 8192])
        #expect(stats.blkioStats.ioServicedRecursive?.map(\.value) == [1, 2])

        // Unlimited memory reports the host's memory, like Docker; unlimited pids no limit.
        fixture.write("berth-test/c1/memory.max", "max\n")
        fixture.write("berth-test/c1/pids.max", "max\n")
        let unlimited = try cgroup.stats()
        #expect(unlimited.memoryStats.limit == CgroupHost.memoryTotal())
        #expect(unlimited.pidsStats.limit == nil)
    }

    @Test func freezeAndThawWaitForTheKernel() throws {
        let fixture = try CgroupFixture.v2()
        let cgroup = try Cgroup.create(spec(), root: fixture.root)
        // The "kernel" has already settled: frozen 1 in cgroup.events.
        fixture.write("berth-test/c1/cgroup.events", "populated 1\nfrozen 1\n")
        try cgroup.freeze()
        #expect(fixture.read("berth-test/c1/cgroup.freeze") == "1")
        #expect(cgroup.isFrozen())
        fixture.write("berth-test/c1/cgroup.events", "populated 1\nfrozen 0\n")
        try cgroup.thaw()
        #expect(fixture.read("berth-test/c1/cgroup.freeze") == "0")
        #expect(!cgroup.isFrozen())
    }

    @Test func oomKillsComeFromMemoryEvents() throws {
        let fixture = try CgroupFixture.v2()
        let cgroup = try Cgroup.create(spec(), root: fixture.root)
        #expect(cgroup.oomKillCount() == 0)
        fixture.write("berth-test/c1/memory.events", "low 0\nhigh 0\nmax 7\noom 2\noom_kill 2\noom_group_kill 0\n")
        #expect(cgroup.oomKillCount() == 2)
    }

    @Test func addAndPidsUseCgroupProcs() throws {
        let fixture = try CgroupFixture.v2()
        let cgroup = try Cgroup.create(spec(), root: fixture.root)
        try cgroup.add(pid: 4242)
        #expect(fixture.read("berth-test/c1/cgroup.procs") == "4242")
        fixture.write("berth-test/c1/cgroup.procs", "12\n7\n")
        #expect(try cgroup.pids() == [7, 12])
    }

    @Test func destroyKillsThroughCgroupKillAndRemovesTheLeaf() throws {
        let fixture = try CgroupFixture.v2()
        let cgroup = try Cgroup.create(spec(), root: fixture.root)
        // A hard link keeps what was written to cgroup.kill after the leaf is gone.
        link("\(fixture.root)/berth-test/c1/cgroup.kill", "\(fixture.root)/kill-witness")
        try cgroup.destroy()
        #expect(fixture.read("kill-witness") == "1")
        #expect(!fixture.exists("berth-test/c1"))
        #expect(fixture.exists("berth-test"))
        #expect(cgroupError { _ = try Cgroup.open(path: "berth-test/c1", root: fixture.root) }?.code == .notFound)
        // Destroying again is a no-op.
        try cgroup.destroy()
    }

    @Test func newLeafIsRemovedWhenALimitIsRefused() throws {
        let fixture = try CgroupFixture.v2()
        let error = cgroupError { _ = try Cgroup.create(ContainerSpec.CgroupSpec(path: "berth-test/c2"), root: fixture.root) }
        #expect(error == nil)
        #expect(fixture.exists("berth-test/c2"))
        var bad = ContainerSpec.CgroupSpec(path: "berth-test/c3")
        bad.memory = 1 << 20
        #expect(cgroupError { _ = try Cgroup.create(bad, root: fixture.root) }?.message == "--memory 1m: minimum memory limit is 6MB")
        #expect(!fixture.exists("berth-test/c3"))
    }
}
