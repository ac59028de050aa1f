/// A cgroup on the v1 (or hybrid) layout: the same relative path in every mounted hierarchy
/// (`<root>/memory/berth/<id>`, `<root>/cpu/berth/<id>`, …, and `<root>/unified/berth/<id>` on a
/// hybrid host), as runc's cgroupfs driver does.
struct CgroupV1: CgroupBackend {
    /// One mounted hierarchy: the directory under the root and the controllers it carries
    /// (`cpu,cpuacct` mounted together carries both; `systemd` and `unified` carry none).
    struct Hierarchy: Sendable, Equatable {
        let name: String
        let controllers: Set<String>
    }

    let root: String
    let path: String
    let hierarchies: [Hierarchy]

    var version: CgroupVersion { .v1 }

    init(root: String, path: String) {
        self.root = root
        self.path = path
        self.hierarchies = Self.discover(root: root)
    }

    /// The hierarchies under `root`: directories holding `cgroup.procs`, each counted once
    /// (`cpu` and `cpuacct` are often symlinks to `cpu,cpuacct`).
    static func discover(root: String) -> [Hierarchy] {
        var seen = Set<String>()
        var found: [Hierarchy] = []
        for name in CgroupFS.subdirectories(root) where CgroupFS.exists("\(root)/\(name)/cgroup.procs") {
            let resolved = CgroupFS.resolve("\(root)/\(name)")
            guard seen.insert(resolved).inserted else { continue }
            let base = resolved.split(separator: "/").last.map(String.init) ?? name
            // Named hierarchies (name=systemd) and the hybrid cgroup2 mount are joined but limit nothing.
            let controllers = base.split(separator: ",").map(String.init).filter {
                $0 != "unified" && $0 != "systemd" && !$0.hasPrefix("name=")
            }
            found.append(Hierarchy(name: name, controllers: Set(controllers)))
        }
        return found
    }

    var directories: [String] { hierarchies.map { "\(root)/\($0.name)/\(path)" } }

    /// This cgroup's directory in the hierarchy carrying `controller`.
    func dir(_ controller: String) -> String? {
        hierarchies.first { $0.controllers.contains(controller) }.map { "\(root)/\($0.name)/\(path)" }
    }

    /// The hybrid host's cgroup2 directory (`<root>/unified/<path>`), when there is one.
    var unifiedDir: String? {
        hierarchies.first { $0.name == "unified" }.map { "\(root)/\($0.name)/\(path)" }
    }

    func makeDirectories() throws(CgroupError) -> [String] {
        let components = path.split(separator: "/").map(String.init)
        var created: [String] = []
        do throws(CgroupError) {
            for hierarchy in hierarchies {
                var current = "\(root)/\(hierarchy.name)"
                for (index, component) in components.enumerated() {
                    let parent = current
                    current += "/\(component)"
                    if try CgroupFS.makeDirectory(current), index == components.count - 1 { created.append(current) }
                    if hierarchy.controllers.contains("cpuset") { try Self.inheritCpuset(current, from: parent) }
                }
            }
        } catch {
            for dir in created { _ = CgroupFS.removeDirectory(dir) }
            throw error
        }
        return created
    }

    /// A new v1 cpuset starts with empty `cpus` and `mems`, and no task can join it until both
    /// are set: copy them from the parent when empty.
    static func inheritCpuset(_ dir: String, from parent: String) throws(CgroupError) {
        for file in ["cpuset.cpus", "cpuset.mems"] {
            guard let mine = CgroupFS.value("\(dir)/\(file)"), mine.isEmpty else { continue }
            let theirs = CgroupFS.value("\(parent)/\(file)") ?? ""
            if !theirs.isEmpty { try CgroupFS.write("\(dir)/\(file)", theirs) }
        }
    }

    func hostLimits() -> CgroupHostLimits {
        let memory = dir("memory")
        let swapFile = "memory.memsw.limit_in_bytes"
        let cpuset = dir("cpuset").map(CgroupFS.parent) ?? "\(root)/cpuset"
        let cpus = (CgroupFS.value("\(cpuset)/cpuset.effective_cpus") ?? CgroupFS.value("\(cpuset)/cpuset.cpus"))
            .flatMap { CgroupCPUList(parsing: $0) }
        let usable: Set<String> = ["memory", "cpu", "cpuset", "pids"]
        return CgroupHostLimits(
            availableCPUs: cpus.flatMap { $0.isEmpty ? nil : $0 } ?? CgroupHost.onlineCPUList(),
            swapAccounting: memory.map { CgroupFS.exists("\($0)/\(swapFile)") } ?? false,
            swapFile: swapFile,
            controllers: Set(hierarchies.flatMap(\.controllers)).intersection(usable),
            location: root,
            currentMemory: memory.flatMap { Self.limit("\($0)/memory.limit_in_bytes") },
            currentMemorySwap: memory.flatMap { Self.limit("\($0)/\(swapFile)") })
    }

    /// A v1 byte limit, nil when unlimited (the kernel shows ~2^63 rounded to a page).
    static func limit(_ file: String) -> Int64? {
        guard let value = CgroupStatParser.number(CgroupFS.value(file)), value < (1 << 62) else { return nil }
        return Int64(value)
    }
}
