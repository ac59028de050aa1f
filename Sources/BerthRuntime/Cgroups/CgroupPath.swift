/// Rules for the relative cgroup path in a `CgroupSpec`: it may never leave the cgroup root.
enum CgroupPath {
    static func validate(_ path: String) throws(CgroupError) {
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        guard !components.isEmpty else {
            throw CgroupError(.invalidArgument, "invalid cgroup path \"\(path)\": it is empty; use berth/<id>")
        }
        for component in components where component == "." || component == ".." || component.contains("\0") {
            throw CgroupError(.invalidArgument, "invalid cgroup path \"\(path)\": \"\(component)\" is not allowed")
        }
    }

    /// Without leading, trailing and repeated slashes.
    static func normalize(_ path: String) -> String {
        path.split(separator: "/").joined(separator: "/")
    }
}
