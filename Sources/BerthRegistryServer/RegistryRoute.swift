/// A request path under `/v2/`, split into the repository name and what is asked of it.
///
/// Repository names may contain slashes, so the path is matched from its end, as distribution's
/// router does: `/v2/<name>/manifests/<reference>`, `/v2/<name>/blobs/uploads/<id>`, ...
enum RegistryRoute: Equatable {
    case ping
    case catalog
    case tags(name: String)
    case manifest(name: String, reference: String)
    case blob(name: String, digest: String)
    case uploadStart(name: String)
    case upload(name: String, id: String)
    case referrers(name: String, digest: String)

    /// Parses a path such as `/v2/library/busybox/manifests/latest`; nil when it is not a registry path.
    init?(path: String) {
        guard path == "/v2" || path.hasPrefix("/v2/") else { return nil }
        let parts = path.dropFirst(4).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if parts.isEmpty || parts == [""] { self = .ping; return }
        if parts == ["_catalog"] { self = .catalog; return }
        let n = parts.count
        func name(dropping count: Int) -> String? {
            let name = parts[0..<(n - count)].joined(separator: "/")
            return name.isEmpty ? nil : name
        }
        if n >= 3, parts[n - 2] == "tags", parts[n - 1] == "list", let name = name(dropping: 2) {
            self = .tags(name: name)
        } else if n >= 3, parts[n - 2] == "blobs", parts[n - 1] == "uploads", let name = name(dropping: 2) {
            self = .uploadStart(name: name)
        } else if n >= 3, parts[n - 1] == "", parts[n - 3] == "blobs", parts[n - 2] == "uploads", let name = name(dropping: 3) {
            self = .uploadStart(name: name)
        } else if n >= 4, parts[n - 3] == "blobs", parts[n - 2] == "uploads", let name = name(dropping: 3) {
            self = .upload(name: name, id: parts[n - 1])
        } else if n >= 3, parts[n - 2] == "manifests", let name = name(dropping: 2) {
            self = .manifest(name: name, reference: parts[n - 1])
        } else if n >= 3, parts[n - 2] == "blobs", let name = name(dropping: 2) {
            self = .blob(name: name, digest: parts[n - 1])
        } else if n >= 3, parts[n - 2] == "referrers", let name = name(dropping: 2) {
            self = .referrers(name: name, digest: parts[n - 1])
        } else {
            return nil
        }
    }
}

/// The grammar of names and tags (distribution-spec "Pulling manifests").
enum RegistryNames {
    /// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`, at most 255 characters.
    static func isValidRepository(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 255 else { return false }
        return name.split(separator: "/", omittingEmptySubsequences: false).allSatisfy(isValidComponent)
    }

    static func isValidComponent(_ component: Substring) -> Bool {
        let bytes = Array(component.utf8)
        func alnum(_ b: UInt8) -> Bool { (0x61...0x7a).contains(b) || (0x30...0x39).contains(b) }
        guard let first = bytes.first, let last = bytes.last, alnum(first), alnum(last) else { return false }
        var i = 0
        while i < bytes.count {
            if alnum(bytes[i]) { i += 1; continue }
            // A separator run: ".", "_", "__" or "-+", followed by an alphanumeric.
            var j = i
            while j < bytes.count, !alnum(bytes[j]) { j += 1 }
            let run = bytes[i..<j]
            let ok = run.elementsEqual([0x2e]) || run.elementsEqual([0x5f]) || run.elementsEqual([0x5f, 0x5f]) || run.allSatisfy { $0 == 0x2d }
            guard ok else { return false }
            i = j
        }
        return true
    }

    /// `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
    static func isValidTag(_ tag: String) -> Bool {
        let bytes = Array(tag.utf8)
        guard let first = bytes.first, bytes.count <= 128 else { return false }
        func word(_ b: UInt8) -> Bool { (0x61...0x7a).contains(b) || (0x41...0x5a).contains(b) || (0x30...0x39).contains(b) || b == 0x5f }
        return word(first) && bytes.allSatisfy { word($0) || $0 == 0x2e || $0 == 0x2d }
    }
}
