import Foundation
import Testing

@testable import BerthRuntime

/// Docker's validation rules and messages, without touching any cgroup.
@Suite("Cgroup limits validation")
struct CgroupLimitsTests {
    func host(cpus: String = "0-1", swap: Bool = true, controllers: Set<String> = ["memory", "cpu", "cpuset", "pids"])
        -> CgroupHostLimits
    {
        CgroupHostLimits(
            availableCPUs: CgroupCPUList(parsing: cpus) ?? CgroupCPUList([]), swapAccounting: swap,
            swapFile: "memory.memsw.limit_in_bytes", controllers: controllers, location: "/sys/fs/cgroup",
            currentMemory: nil, currentMemorySwap: nil)
    }

    func message(_ host: CgroupHostLimits? = nil, _ configure: (inout ContainerSpec.CgroupSpec) -> Void) -> String? {
        var spec = ContainerSpec.CgroupSpec(path: "berth/x")
        configure(&spec)
        let context = host ?? self.host()
        return cgroupError { _ = try CgroupLimits(validating: spec, host: context) }?.message
    }

    @Test func memoryMinimumIsSixMegabytes() {
        #expect(message { $0.memory = 4 << 20 } == "--memory 4m: minimum memory limit is 6MB")
        #expect(message { $0.memory = 6 << 20 } == nil)
        #expect(message { $0.memory = -1 } == nil)
        #expect(message { $0.memory = -7 } == "--memory -7: must be a positive size like 64m, or -1 for unlimited")
    }

    @Test func memorySwapIsMemoryPlusSwap() {
        #expect(
            message { $0.memory = 64 << 20; $0.memorySwap = 32 << 20 }
                == "--memory-swap 32m: must be at least --memory (64m): it is memory plus swap; use -1 for unlimited swap")
        #expect(
            message { $0.memorySwap = 128 << 20 }
                == "--memory-swap 128m: set --memory too: --memory-swap is memory plus swap and needs a memory limit")
        #expect(message { $0.memory = 64 << 20; $0.memorySwap = 128 << 20 } == nil)
        #expect(message { $0.memory = 64 << 20; $0.memorySwap = -1 } == nil)
    }

    @Test func swapLimitsNeedSwapAccounting() {
        let noSwap = host(swap: false)
        let refused = message(noSwap) { $0.memory = 64 << 20; $0.memorySwap = 128 << 20 }
        #expect(refused?.hasPrefix("--memory-swap 128m: swap limits are unsupported here: the kernel has no swap accounting") == true)
        #expect(refused?.contains("memory.memsw.limit_in_bytes") == true)
        // Equal to --memory (no swap) and -1 (what the kernel does anyway) are fine.
        #expect(message(noSwap) { $0.memory = 64 << 20; $0.memorySwap = 64 << 20 } == nil)
        #expect(message(noSwap) { $0.memory = 64 << 20; $0.memorySwap = -1 } == nil)
    }

    @Test func updateMemoryAboveCurrentSwapIsRefused() {
        var current = host()
        current.currentMemory = 64 << 20
        current.currentMemorySwap = 128 << 20
        #expect(
            message(current) { $0.memory = 256 << 20 }
                == "--memory 256m: memory limit should be smaller than the already set --memory-swap (128m); update --memory-swap at the same time")
        #expect(message(current) { $0.memory = 256 << 20; $0.memorySwap = 512 << 20 } == nil)
        // Swap alone is checked against the memory limit in force.
        #expect(message(current) { $0.memorySwap = 32 << 20 }?.hasPrefix("--memory-swap 32m: must be at least --memory (64m)") == true)
    }

    @Test func cpuSharesPeriodAndQuota() {
        #expect(message { $0.cpuShares = 1 } == "--cpu-shares 1: minimum allowed cpu-shares is 2")
        #expect(message { $0.cpuShares = 300_000 } == "--cpu-shares 300000: maximum allowed cpu-shares is 262144")
        #expect(message { $0.cpuShares = -3 } == "--cpu-shares -3: must be a positive weight (the default is 1024)")
        #expect(message { $0.cpuPeriod = 500 } == "--cpu-period 500: must be between 1000 (1ms) and 1000000 (1s) microseconds")
        #expect(
            message { $0.cpuQuota = 500; $0.cpuPeriod = 100_000 }
                == "--cpus 0.005 (--cpu-quota 500 per 100000µs period): minimum CPU quota is 1000µs (1ms) per period, i.e. --cpus 0.01")
        #expect(message { $0.cpuQuota = 150_000; $0.cpuPeriod = 100_000; $0.cpuShares = 512 } == nil)
        #expect(message { $0.cpuQuota = -1 } == nil)
    }

    @Test func cpusetMustExistHere() {
        #expect(message { $0.cpusetCpus = "7" } == "--cpuset-cpus 7: this machine has CPUs 0-1")
        #expect(message { $0.cpusetCpus = "0-a" } == "--cpuset-cpus \"0-a\": invalid CPU list; use a form like 0-3 or 0,2")
        #expect(message { $0.cpusetCpus = "1" } == nil)
        #expect(message { $0.cpusetCpus = "" } == nil)
    }

    @Test func pidsLimitZeroOrLessIsUnlimited() throws {
        for (given, expected) in [(Int64(0), Int64(-1)), (-1, -1), (-5, -1), (10, 10)] {
            var spec = ContainerSpec.CgroupSpec(path: "berth/x")
            spec.pidsLimit = given
            let limits = try CgroupLimits(validating: spec, host: host())
            #expect(limits.pidsLimit == expected)
        }
    }

    @Test func missingControllerIsNamed() {
        let noPids = host(controllers: ["memory", "cpu", "cpuset"])
        #expect(
            message(noPids) { $0.pidsLimit = 10 }
                == "--pids-limit 10: the pids cgroup controller is not available in /sys/fs/cgroup; enable it or leave the limit unset")
        // An unlimited value needs no controller.
        #expect(message(noPids) { $0.pidsLimit = 0 } == nil)
    }

    @Test func zeroMeansUnset() throws {
        var spec = ContainerSpec.CgroupSpec(path: "berth/x")
        spec.memory = 0
        spec.memorySwap = 0
        spec.cpuShares = 0
        spec.cpuQuota = 0
        spec.cpuPeriod = 0
        #expect(try CgroupLimits(validating: spec, host: host()) == CgroupLimits())
    }
}
