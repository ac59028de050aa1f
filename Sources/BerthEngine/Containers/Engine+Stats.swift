import BerthRuntime
import Foundation

extension Engine {
    /// A reading of the container now, or nil when it is not running (or restarting).
    public func statsSample(_ r: ContainerRecord) async -> StatsSample? {
        guard await events.isRunning(r.id), let cgroup = try? openCgroup(r.id),
              let stats = try? await Blocking.run({ try cgroup.stats() })
        else { return nil }
        let pid = state(r.id).pid
        let networks = r.hostConfig.NetworkMode == "host" || pid <= 0 ? [:] : StatsSample.networks(pid: pid)
        return StatsSample(read: Date(), cgroup: stats, networks: networks)
    }
}
