import CBerthSys

/// `--ulimit` values: setrlimit(2) by Docker's names (`RLIMIT_NOFILE` or `nofile`).
enum ResourceLimit {
    static func apply(_ limits: [ProcessSpec.Rlimit]) throws(RuntimeError) {
        for limit in limits {
            guard let resource = number(of: limit.type) else {
                throw RuntimeError(.invalidArgument, "invalid rlimit type \(limit.type)")
            }
            guard berth_setrlimit(resource, limit.soft, limit.hard) == 0 else {
                throw .sys("setrlimit \(limit.type) \(limit.soft):\(limit.hard)")
            }
        }
    }

    static func number(of name: String) -> Int32? {
        var key = name.uppercased()
        if key.hasPrefix("RLIMIT_") { key.removeFirst(7) }
        return names.firstIndex(of: key).map { Int32($0) }
    }

    private static let names = [
        "CPU", "FSIZE", "DATA", "STACK", "CORE", "RSS", "NPROC", "NOFILE", "MEMLOCK", "AS",
        "LOCKS", "SIGPENDING", "MSGQUEUE", "NICE", "RTPRIO", "RTTIME",
    ]
}
