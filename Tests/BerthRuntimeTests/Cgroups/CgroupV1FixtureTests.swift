import Foundation
import Testing

@testable import BerthRuntime

/// v1 cases this host cannot show: hierarchies mounted together behind symlinks, and a kernel
/// without swap accounting (no `memory.memsw.*`).
@Suite("Cgroup v1 (fixture)")
struct CgroupV1FixtureTests {
    func spec(_ configure: (inout ContainerSpec.CgroupSpec) -> Void = { _ in }) -> ContainerSpec.CgroupSpec {
        var spec = ContainerSpec.CgroupSpec(path: "berth-test/c1")
        configure(&spec)
        return spec
    }

    @Test func coMountedHierarchiesAreJoinedOnce() throws {
        let fixture = try CgroupFixture.v1(swapAccounting: true)
        let v1 = CgroupV1(root: fixture.root, path: "berth-test/c1")
        #expect(v1.hierarchies.count == 3)
        #expect(Set(v1.hierarchies.flatMap(\.controllers)) == ["cpu", "cpuacct", "memory", "pids"])
        #expect(v1.dir("cpu") == v1.dir("cpuacct"))
        #expect(v1.directories.count == 3)
        let cgroup = try Cgroup.create(spec { $0.cpuShares = 512; $0.cpuQuota = 25_000 }, root: fixture.root)
        #expect(cgroup.version == .v1)
        #expect(fixture.read("cpu,cpuacct/berth-test/c1/cpu.shares") == "512")
        #expect(fixture.read("cpu,cpuacct/berth-test/c1/cpu.cfs_quota_us") == "25000")
    }

    @Test func swapLimitWithoutSwapAccountingIsRefused() throws {
        let fixture = try CgroupFixture.v1(swapAccounting: false)
        let error = cgroupError { _ = try Cgroup.create(spec { $0.memory = 64 << 20; $0.memorySwap = 128 << 20 }, root: fixture.root) }
        #expect(error?.code == .unsupported)
        #expect(
            error?.message
                == "--memory-swap 128m: swap limits are unsupported here: the kernel has no swap accounting "
                + "(no memory.memsw.limit_in_bytes; boot with swapaccount=1); leave --memory-swap unset, set it equal to --memory, or -1")
        // Equal to --memory, or -1: the memory limit alone is written.
        _ = try Cgroup.create(spec { $0.memory = 64 << 20; $0.memorySwap = 64 << 20 }, root: fixture.root)
        #expect(fixture.read("memory/berth-test/c1/memory.limit_in_bytes") == "\(64 << 20)")
        _ = try Cgroup.create(spec { $0.memory = 32 << 20; $0.memorySwap = -1 }, root: fixture.root)
        #expect(fixture.read("memory/berth-test/c1/memory.limit_in_bytes") == "\(32 << 20)")
        #expect(!fixture.exists("memory/berth-test/c1/memory.memsw.limit_in_bytes"))
    }

    @Test func memoryAndSwapBothWritten() throws {
        let fixture = try CgroupFixture.v1(swapAccounting: true)
        let cgroup = try Cgroup.create(spec { $0.memory = 64 << 20; $0.memorySwap = 128 << 20 }, root: fixture.root)
        #expect(fixture.read("memory/berth-test/c1/memory.limit_in_bytes") == "\(64 << 20)")
        #expect(fixture.read("memory/berth-test/c1/memory.memsw.limit_in_bytes") == "\(128 << 20)")
        // Unlimited memory without a swap setting lifts the swap limit too (runc).
        try cgroup.update(spec { $0.memory = -1 })
        #expect(fixture.read("memory/berth-test/c1/memory.limit_in_bytes") == "-1")
        #expect(fixture.read("memory/berth-test/c1/memory.memsw.limit_in_bytes") == "-1")
    }

    @Test func oomKillCountFromOomControl() throws {
        let fixture = try CgroupFixture.v1(swapAccounting: true)
        let cgroup = try Cgroup.create(spec(), root: fixture.root)
        fixture.write("memory/berth-test/c1/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n")
        #expect(cgroup.oomKillCount() == 3)
    }

    @Test func addWritesEveryHierarchy() throws {
        let fixture = try CgroupFixture.v1(swapAccounting: true)
        let cgroup = try Cgroup.create(spec(), root: fixture.root)
        try cgroup.add(pid: 99)
        for hierarchy in ["memory", "cpu,cpuacct", "pids"] {
            #expect(fixture.read("\(hierarchy)/berth-test/c1/cgroup.procs") == "99")
        }
    }

    @Test func pauseWithoutFreezerIsUnsupported() throws {
        let fixture = try CgroupFixture.v1(swapAccounting: true)
        let cgroup = try Cgroup.create(spec(), root: fixture.root)
        #expect(cgroupError { try cgroup.freeze() }?.message == "cannot pause: no freezer cgroup hierarchy under \(fixture.root)")
    }
}
