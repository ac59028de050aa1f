import BerthRuntime
import Foundation

extension Engine {
    /// Docker's `UpdateConfig`, the fields berthd changes: resources of the container's cgroup
    /// and its restart policy. Zero (or null) leaves a setting as it is.
    struct UpdateBody: Decodable {
        var Memory: Int64?
        var MemorySwap: Int64?
        var NanoCpus: Int64?
        var CpuShares: Int64?
        var CpuPeriod: Int64?
        var CpuQuota: Int64?
        var CpusetCpus: String?
        /// 0 or -1: unlimited; null: unchanged.
        var PidsLimit: Int64?
        var RestartPolicy: DockerHostConfig.RestartPolicy?

        static let honoured: Set<String> = [
            "Memory", "MemorySwap", "NanoCpus", "CpuShares", "CpuPeriod", "CpuQuota", "CpusetCpus", "PidsLimit", "RestartPolicy",
        ]
    }

    /// `POST /containers/{id}/update`: records the new settings (the next start uses them) and,
    /// while the container runs, applies the resources to its cgroup. Returns warnings.
    public func updateContainer(_ ref: String, body: Data) async throws -> [String] {
        guard let raw = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            throw EngineError(.invalid, "the update config is not a JSON object")
        }
        for (key, value) in raw.sorted(by: { $0.key < $1.key }) where !UnsupportedFields.isZero(value) && !UpdateBody.honoured.contains(key) {
            throw EngineError(.invalid, "berthd cannot update \(key) (set to \(UnsupportedFields.describe(value))); it updates "
                + UpdateBody.honoured.sorted().joined(separator: ", "))
        }
        let u: UpdateBody
        do { u = try JSONDecoder().decode(UpdateBody.self, from: body) } catch {
            throw EngineError(.invalid, "malformed update config: \(error)")
        }
        try Self.verify(u)
        let r = try await containers.find(ref)
        var host = r.hostConfig
        do throws(EngineError) { try Self.apply(u, to: &host) } catch {
            throw EngineError(.conflict, "Cannot update container \(r.id): \(error.message)")
        }
        _ = try await containers.update(r.id) { $0.hostConfig = host }
        guard await events.isRunning(r.id), let cgroup = try? openCgroup(r.id) else { return [] }
        let spec = Self.cgroupChanges(u, path: cgroup.path)
        do {
            try await Blocking.run { try cgroup.update(spec) }
        } catch {
            _ = try? await containers.update(r.id) { $0.hostConfig = r.hostConfig }
            throw Self.cgroupError(error, "Cannot update container \(r.id)")
        }
        return []
    }

    /// Docker's checks of the update on its own (`verifyContainerSettings`), answered with 400.
    static func verify(_ u: UpdateBody) throws(EngineError) {
        let memory = u.Memory ?? 0, swap = u.MemorySwap ?? 0, nano = u.NanoCpus ?? 0
        if memory != 0 && memory < 6 * 1024 * 1024 { throw EngineError(.invalid, "Minimum memory limit allowed is 6MB") }
        if memory > 0 && swap > 0 && swap < memory {
            throw EngineError(.invalid, "Minimum memoryswap limit should be larger than memory limit, see usage")
        }
        if nano > 0 && (u.CpuPeriod ?? 0) > 0 { throw EngineError(.invalid, "Conflicting options: Nano CPUs and CPU Period cannot both be set") }
        if nano > 0 && (u.CpuQuota ?? 0) > 0 { throw EngineError(.invalid, "Conflicting options: Nano CPUs and CPU Quota cannot both be set") }
        let cpus = Int64(ProcessInfo.processInfo.activeProcessorCount)
        if nano < 0 || nano > cpus * 1_000_000_000 {
            throw EngineError(.invalid, "Range of CPUs is from 0.01 to \(cpus).00, as there are only \(cpus) CPUs available")
        }
        try u.RestartPolicy?.validate()
    }

    /// Docker's `UpdateContainer`: merges the update into the container's settings, refusing
    /// what conflicts with settings already there.
    static func apply(_ u: UpdateBody, to h: inout DockerHostConfig) throws(EngineError) {
        func conflict(_ m: String) -> EngineError { EngineError(.conflict, m) }
        let nano = u.NanoCpus ?? 0, period = u.CpuPeriod ?? 0, quota = u.CpuQuota ?? 0
        if nano > 0 && (h.CpuPeriod ?? 0) > 0 { throw conflict("Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set") }
        if nano > 0 && (h.CpuQuota ?? 0) > 0 { throw conflict("Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set") }
        if period > 0 && (h.NanoCpus ?? 0) > 0 { throw conflict("Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set") }
        if quota > 0 && (h.NanoCpus ?? 0) > 0 { throw conflict("Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set") }
        if let v = u.CpuShares, v != 0 { h.CpuShares = v }
        if nano != 0 { h.NanoCpus = nano }
        if period != 0 { h.CpuPeriod = period }
        if quota != 0 { h.CpuQuota = quota }
        if let v = u.CpusetCpus, !v.isEmpty { h.CpusetCpus = v }
        if let memory = u.Memory, memory != 0 {
            // Docker records twice the memory as memory+swap when --memory-swap is not given.
            let current = h.Memory ?? 0
            let swapInForce = (h.MemorySwap ?? 0) != 0 ? (h.MemorySwap ?? 0) : current * 2
            if memory > swapInForce && (u.MemorySwap ?? 0) == 0 {
                throw conflict("Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time")
            }
            h.Memory = memory
        }
        if let swap = u.MemorySwap, swap != 0 { h.MemorySwap = swap }
        if let pids = u.PidsLimit { h.PidsLimit = max(0, pids) }
        if let policy = u.RestartPolicy, !policy.mode.isEmpty {
            if h.AutoRemove == true && !policy.isNone {
                throw conflict("Restart policy cannot be updated because AutoRemove is enabled for the container")
            }
            h.RestartPolicy = policy
        }
    }

    /// What changes in a running container's cgroup (nil: unchanged).
    static func cgroupChanges(_ u: UpdateBody, path: String) -> ContainerSpec.CgroupSpec {
        func set(_ v: Int64?) -> Int64? { (v ?? 0) != 0 ? v : nil }
        var spec = ContainerSpec.CgroupSpec(path: path)
        spec.memory = set(u.Memory)
        spec.memorySwap = set(u.MemorySwap)
        spec.cpuShares = set(u.CpuShares)
        if let nano = set(u.NanoCpus) {
            (spec.cpuPeriod, spec.cpuQuota) = cfsLimits(nanoCpus: nano)
        } else {
            spec.cpuPeriod = set(u.CpuPeriod)
            spec.cpuQuota = set(u.CpuQuota)
        }
        spec.cpusetCpus = (u.CpusetCpus ?? "").isEmpty ? nil : u.CpusetCpus
        spec.pidsLimit = u.PidsLimit.map { $0 <= 0 ? -1 : $0 }
        return spec
    }
}
