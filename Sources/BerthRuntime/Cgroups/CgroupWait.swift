import Glibc

/// Polling for kernel state changes that have no blocking interface here (freezer states,
/// a cgroup emptying after SIGKILL).
enum CgroupWait {
    /// Calls `condition` until it holds or `timeout` seconds pass; true when it held.
    static func until(timeout: Double, interval: Double = 0.005, _ condition: () -> Bool) -> Bool {
        let deadline = now() + timeout
        var delay = interval
        while true {
            if condition() { return true }
            if now() >= deadline { return false }
            usleep(UInt32(delay * 1_000_000))
            delay = min(delay * 2, 0.1)
        }
    }

    /// Monotonic seconds.
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
