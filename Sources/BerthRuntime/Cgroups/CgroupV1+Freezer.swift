import Glibc

extension CgroupV1 {
    /// `freezer.state`. Freezing can stall in FREEZING while tasks keep forking, so like runc
    /// it rewrites FROZEN, thawing briefly now and then, until the kernel reports FROZEN.
    func setFrozen(_ frozen: Bool) throws(CgroupError) {
        guard let dir = dir("freezer") else {
            throw CgroupError(.unsupported, "cannot \(frozen ? "pause" : "unpause"): no freezer cgroup hierarchy under \(root)")
        }
        let file = "\(dir)/freezer.state"
        if !frozen {
            try CgroupFS.write(file, "THAWED")
            guard CgroupWait.until(timeout: 10, { CgroupFS.value(file) == "THAWED" }) else {
                throw CgroupError(.busy, "cannot unpause: \(file) did not become THAWED")
            }
            return
        }
        let deadline = CgroupWait.now() + 10
        var attempt = 0
        while CgroupWait.now() < deadline {
            attempt += 1
            if attempt % 50 == 0 {
                _ = CgroupFS.writeErrno(file, "THAWED")
                usleep(10_000)
            }
            try CgroupFS.write(file, "FROZEN")
            switch CgroupFS.value(file) {
            case "FROZEN": return
            case "FREEZING": usleep(attempt % 25 == 0 ? 10_000 : 100)
            case let state:
                _ = CgroupFS.writeErrno(file, "THAWED")
                throw CgroupError(.io, "cannot pause: unexpected freezer state \(state ?? "(unreadable)") in \(file)")
            }
        }
        _ = CgroupFS.writeErrno(file, "THAWED")
        throw CgroupError(.busy, "cannot pause: the cgroup stayed FREEZING for 10s (processes keep forking?); it was thawed again")
    }

    /// FROZEN by itself (not merely through a frozen ancestor).
    func isFrozen() -> Bool {
        guard let dir = dir("freezer"), CgroupFS.value("\(dir)/freezer.state") == "FROZEN" else { return false }
        return CgroupFS.value("\(dir)/freezer.self_freezing").map { $0 == "1" } ?? true
    }

    /// On a hybrid host the cgroup2 twin's `cgroup.kill` takes everything at once; then each
    /// remaining pid is killed with the cgroup frozen, so nothing forks in between.
    func killAll() throws(CgroupError) {
        if let unified = unifiedDir, CgroupFS.exists("\(unified)/cgroup.kill") {
            _ = CgroupFS.writeErrno("\(unified)/cgroup.kill", "1")
        }
        killEach(freeze: dir("freezer") != nil)
    }
}
