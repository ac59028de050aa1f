/// A tar entry name made safe to apply under a root: components only, no `.`/`..`, not absolute.
public struct EntryPath: Hashable {
    let components: [String]

    /// Refuses absolute names and any `..` component, naming the entry.
    /// With `rootedNames`, a leading `/` means the archive's root (Docker's `docker cp` joins such
    /// names to the destination) instead of being refused.
    init(_ raw: String, noun: String = "layer entry", rootedNames: Bool = false) throws(ArchiveError) {
        if raw.hasPrefix("/") && !rootedNames {
            throw ArchiveError(.escape, "\(noun) \"\(raw)\" has an absolute path; refusing to extract it")
        }
        var parts: [String] = []
        for c in raw.split(separator: "/", omittingEmptySubsequences: true) {
            if c == "." { continue }
            if c == ".." {
                throw ArchiveError(.escape, "\(noun) \"\(raw)\" contains \"..\"; refusing to extract it")
            }
            parts.append(String(c))
        }
        components = parts
    }

    init(components: [String]) { self.components = components }

    /// The normalized form of an archive member name (`./a//b` → `a/b`), refusing escapes.
    public static func normalize(_ raw: String) throws(ArchiveError) -> String { try EntryPath(raw).relative }

    var isRoot: Bool { components.isEmpty }
    var base: String { components.last ?? "." }
    var parent: EntryPath { EntryPath(components: Array(components.dropLast())) }
    /// Relative path for *at calls; "." for the root.
    var relative: String { components.isEmpty ? "." : components.joined(separator: "/") }
}
