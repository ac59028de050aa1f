import Foundation
import Testing

@testable import BerthRuntime

/// Conversions and parsers: v2 values, CPU lists, sizes, stat files, the stats JSON shape.
@Suite("Cgroup formats")
struct CgroupFormatTests {
    @Test func cpuWeightFromSharesLikeRunc() {
        #expect(CgroupV2Values.cpuWeight(shares: 2) == 1)
        #expect(CgroupV2Values.cpuWeight(shares: 1024) == 39)
        #expect(CgroupV2Values.cpuWeight(shares: 512) == 20)
        #expect(CgroupV2Values.cpuWeight(shares: 262_144) == 10_000)
    }

    @Test func swapMaxIsTotalMinusMemory() {
        #expect(CgroupV2Values.swapMax(memorySwap: 96 << 20, memory: 64 << 20) == "\(32 << 20)")
        #expect(CgroupV2Values.swapMax(memorySwap: 64 << 20, memory: 64 << 20) == "0")
        #expect(CgroupV2Values.swapMax(memorySwap: -1, memory: 64 << 20) == "max")
        #expect(CgroupV2Values.swapMax(memorySwap: nil, memory: -1) == "max")
        #expect(CgroupV2Values.swapMax(memorySwap: nil, memory: 64 << 20) == nil)
        #expect(CgroupV2Values.swapMax(memorySwap: 1 << 30, memory: -1) == "\(1 << 30)")
    }

    @Test func cpuMaxKeepsTheHalfNotGiven() {
        #expect(CgroupV2Values.cpuMax(quota: 50_000, period: 100_000, current: "max 100000") == "50000 100000")
        #expect(CgroupV2Values.cpuMax(quota: 20_000, period: nil, current: "50000 250000") == "20000 250000")
        #expect(CgroupV2Values.cpuMax(quota: nil, period: 200_000, current: "50000 100000") == "50000 200000")
        #expect(CgroupV2Values.cpuMax(quota: -1, period: nil, current: "50000 100000") == "max 100000")
        #expect(CgroupV2Values.cpuMax(quota: 30_000, period: nil, current: nil) == "30000 100000")
        #expect(CgroupV2Values.cpuMax(quota: nil, period: nil, current: "max 100000") == nil)
    }

    @Test func cpuLists() {
        #expect(CgroupCPUList(parsing: "0-3,5")?.cpus == [0, 1, 2, 3, 5])
        #expect(CgroupCPUList(parsing: "0,1,2,4\n")?.description == "0-2,4")
        #expect(CgroupCPUList(parsing: "")?.isEmpty == true)
        #expect(CgroupCPUList(parsing: "3-1") == nil)
        #expect(CgroupCPUList(parsing: "1-2-3") == nil)
        #expect(CgroupCPUList(parsing: "x") == nil)
        #expect(CgroupCPUList(parsing: "0,,1") == nil)
        #expect(CgroupCPUList(parsing: "1")?.isSubset(of: CgroupCPUList([0, 1])) == true)
    }

    @Test func sizesAsTyped() {
        #expect(CgroupByteSize.format(Int64(4 << 20)) == "4m")
        #expect(CgroupByteSize.format(Int64(1 << 30)) == "1g")
        #expect(CgroupByteSize.format(Int64(1536)) == "1536")
        #expect(CgroupByteSize.format(Int64(3 << 10)) == "3k")
        #expect(CgroupByteSize.format(Int64(-1)) == "-1")
        #expect(CgroupLimits.decimal(150_000, per: 100_000) == "1.5")
        #expect(CgroupLimits.decimal(200_000, per: 100_000) == "2")
    }

    @Test func statFiles() {
        #expect(CgroupStatParser.number("max\n") == UInt64.max)
        #expect(CgroupStatParser.number(" 42\n") == 42)
        #expect(CgroupStatParser.keyValues("cache 4096\nrss 8192\nbad line here\n") == ["cache": 4096, "rss": 8192])
        #expect(CgroupStatParser.numbers("10 20 30 \n") == [10, 20, 30])
        let v1 = CgroupStatParser.blkioV1("8:0 Read 4096\n8:0 Write 512\n8:0 Total 4608\nTotal 4608\n")
        #expect(v1.map(\.op) == ["Read", "Write", "Total"])
        #expect(v1.first == CgroupStats.Blkio.Entry(major: 8, minor: 0, op: "Read", value: 4096))
        let v2 = CgroupStatParser.ioV2("259:0 rbytes=100 wbytes=200 rios=3 wios=4 dbytes=0 dios=0\n")
        #expect(v2.bytes == [.init(major: 259, minor: 0, op: "read", value: 100), .init(major: 259, minor: 0, op: "write", value: 200)])
        #expect(v2.ios.map(\.value) == [3, 4])
    }

    @Test func statsJSONUsesDockerKeys() throws {
        var stats = CgroupStats()
        stats.memoryStats.usage = 1
        stats.memoryStats.maxUsage = 2
        stats.cpuStats.cpuUsage.percpuUsage = [5]
        stats.pidsStats.limit = 10
        stats.blkioStats.ioServiceBytesRecursive = []
        let json = String(decoding: try JSONEncoder().encode(stats), as: UTF8.self)
        for key in [
            "memory_stats", "max_usage", "cpu_stats", "cpu_usage", "total_usage", "percpu_usage", "usage_in_kernelmode",
            "usage_in_usermode", "system_cpu_usage", "online_cpus", "throttling_data", "throttled_periods", "throttled_time",
            "pids_stats", "blkio_stats", "io_service_bytes_recursive",
        ] {
            #expect(json.contains("\"\(key)\""), "missing \(key) in \(json)")
        }
        #expect(try JSONDecoder().decode(CgroupStats.self, from: Data(json.utf8)) == stats)
    }

    @Test func pathsStayUnderTheRoot() {
        #expect(cgroupError { try CgroupPath.validate("berth/../../etc") }?.code == .invalidArgument)
        #expect(cgroupError { try CgroupPath.validate("/") }?.message == "invalid cgroup path \"/\": it is empty; use berth/<id>")
        #expect(cgroupError { try CgroupPath.validate("/berth/abc/") } == nil)
        #expect(CgroupPath.normalize("/berth//abc/") == "berth/abc")
    }
}
