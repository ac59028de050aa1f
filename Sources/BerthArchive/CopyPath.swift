/// Docker's path rules for `docker cp` (Go's `path/filepath` plus moby/go-archive's copy
/// helpers), shared by berthd for container paths and the CLI for host paths, so both sides
/// agree on what `dir/`, `dir/.` and `/` mean.
public enum CopyPath {
    /// Go's `filepath.Clean`: one slash between elements, no `.`, `..` folded; `""` → `"."`.
    public static func clean(_ path: String) -> String {
        let rooted = path.hasPrefix("/")
        var out: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if let last = out.last, last != ".." {
                    out.removeLast()
                } else if !rooted {
                    out.append(part)
                }
                continue
            }
            out.append(part)
        }
        let joined = out.joined(separator: "/")
        if rooted { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    /// Go's `filepath.Base`: the last element; `"/"` for the root, `"."` for an empty path.
    public static func base(_ path: String) -> String {
        if path.isEmpty { return "." }
        var p = Substring(path)
        while p.count > 1, p.hasSuffix("/") { p = p.dropLast() }
        if p == "/" { return "/" }
        if let slash = p.lastIndex(of: "/") { return String(p[p.index(after: slash)...]) }
        return String(p)
    }

    /// Go's `filepath.Dir`: everything before the last element, cleaned.
    public static func dir(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let head = String(path[...slash])
        return clean(head)
    }

    /// Go's `filepath.Join`: the non-empty elements joined and cleaned.
    public static func join(_ parts: String...) -> String {
        let kept = parts.filter { !$0.isEmpty }
        return kept.isEmpty ? "" : clean(kept.joined(separator: "/"))
    }

    /// Whether the last element is `.` (`dir/.`: the directory's content, not the directory).
    public static func specifiesCurrentDir(_ path: String) -> Bool { base(path) == "." }

    public static func hasTrailingSeparator(_ path: String) -> Bool { path.hasSuffix("/") }

    /// A trailing `/` or `/.`: the path must be a directory.
    public static func assertsDirectory(_ path: String) -> Bool {
        hasTrailingSeparator(path) || specifiesCurrentDir(path)
    }

    /// `cleaned` with the trailing `/.` or `/` of `original` put back (Clean drops them, but
    /// they change what a copy does).
    public static func preserveTrailingDotOrSeparator(_ cleaned: String, _ original: String) -> String {
        var out = cleaned
        if !specifiesCurrentDir(out) && specifiesCurrentDir(original) {
            if !hasTrailingSeparator(out) { out += "/" }
            out += "."
        }
        if !hasTrailingSeparator(out) && hasTrailingSeparator(original) { out += "/" }
        return out
    }

    /// The directory and the entry a copy archives: `("/a", "b")` for `/a/b`, `("/a/b", ".")`
    /// for `/a/b/.`.
    public static func splitDirEntry(_ path: String) -> (dir: String, base: String) {
        var cleaned = clean(path)
        if specifiesCurrentDir(path) { cleaned += "/." }
        return (dir(cleaned), base(cleaned))
    }

    /// A path inside a container as Docker reads it: absolute, cleaned, keeping the trailing
    /// `/` or `/.` the user typed.
    public static func inContainer(_ path: String) -> String {
        preserveTrailingDotOrSeparator(clean("/" + path), path)
    }

    /// moby's GetRebaseName: the resolved path with `path`'s trailing `/.` or `/`, and the name
    /// archive entries must take when resolving a link changed the last element.
    public static func rebaseName(_ path: String, resolved: String) -> (path: String, rebase: String?) {
        var out = resolved
        if specifiesCurrentDir(path) && !specifiesCurrentDir(out) { out += "/." }
        if hasTrailingSeparator(path) && !hasTrailingSeparator(out) { out += "/" }
        return (out, base(path) != base(out) ? base(path) : nil)
    }
}
