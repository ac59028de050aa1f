extension CgroupV2 {
    /// `cgroup.freeze`, then waits for `frozen` in `cgroup.events` to match (the kernel freezes
    /// asynchronously); a freeze that does not settle in 10s is undone.
    func setFrozen(_ frozen: Bool) throws(CgroupError) {
        let file = "\(dir)/cgroup.freeze"
        guard CgroupFS.exists(file) else {
            throw CgroupError(.unsupported, "cannot \(frozen ? "pause" : "unpause"): \(file) is missing (the cgroup v2 freezer needs Linux 5.2)")
        }
        try CgroupFS.write(file, frozen ? "1" : "0")
        let settled = CgroupWait.until(timeout: 10) { isFrozen() == frozen }
        guard settled else {
            if frozen { _ = CgroupFS.writeErrno(file, "0") }
            throw CgroupError(.busy, "cannot \(frozen ? "pause" : "unpause"): \(dir) did not report frozen \(frozen ? 1 : 0) within 10s")
        }
    }

    func isFrozen() -> Bool {
        guard let text = try? CgroupFS.read("\(dir)/cgroup.events") else { return false }
        return CgroupStatParser.keyValues(text)["frozen"] == 1
    }

    /// `cgroup.kill` (Linux 5.14) kills the whole subtree at once; older kernels get SIGKILL per
    /// pid with the cgroup frozen.
    func killAll() throws(CgroupError) {
        let file = "\(dir)/cgroup.kill"
        if CgroupFS.exists(file) {
            try CgroupFS.write(file, "1")
        } else {
            killEach(freeze: CgroupFS.exists("\(dir)/cgroup.freeze"))
        }
    }
}
