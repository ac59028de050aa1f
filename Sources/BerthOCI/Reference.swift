/// An image reference, normalized the way Docker does it:
/// `busybox` → `docker.io/library/busybox:latest`, `localhost:5000/a/b:t`, `name@sha256:…`.
public struct Reference: Hashable, Sendable, CustomStringConvertible {
    /// Registry host with optional port, e.g. `docker.io`, `localhost:5000`.
    public let domain: String
    /// Repository path within the registry, e.g. `library/busybox`.
    public let path: String
    public let tag: String?
    public let digest: Digest?

    public static let defaultDomain = "docker.io"
    public static let defaultTag = "latest"

    public init(domain: String, path: String, tag: String?, digest: Digest?) {
        self.domain = domain
        self.path = path
        self.tag = tag
        self.digest = digest
    }

    /// `docker.io/library/busybox`
    public var repository: String { "\(domain)/\(path)" }

    /// `docker.io/library/busybox:latest`, `docker.io/library/busybox@sha256:…`
    public var description: String {
        var s = repository
        if let tag { s += ":\(tag)" }
        if let digest { s += "@\(digest)" }
        return s
    }

    /// The short form Docker shows: `busybox`, `user/app`, `localhost:5000/a`.
    public var familiarRepository: String {
        guard domain == Reference.defaultDomain else { return repository }
        if path.hasPrefix("library/"), !path.dropFirst(8).contains("/") { return String(path.dropFirst(8)) }
        return path
    }

    /// `busybox:latest` — the familiar repository with the tag and/or digest.
    public var familiar: String {
        var s = familiarRepository
        if let tag { s += ":\(tag)" }
        if let digest { s += "@\(digest)" }
        return s
    }

    /// The same repository with `tag` (and no digest).
    public func withTag(_ tag: String) -> Reference {
        Reference(domain: domain, path: path, tag: tag, digest: nil)
    }

    /// The same reference with `:latest` when it has neither a tag nor a digest.
    public var defaultingTag: Reference {
        tag == nil && digest == nil ? withTag(Reference.defaultTag) : self
    }

    /// Parses a reference as a Docker user types it, adding `docker.io/` and `library/` where
    /// Docker does. No default tag is added: use `defaultingTag` for that.
    public init(parsing input: String) throws(OCIError) {
        if input.utf8.count == 64, input.utf8.allSatisfy(Self.isLowerHex) {
            throw OCIError(.invalid, "invalid repository name (\(input)), cannot specify 64-byte hexadecimal strings")
        }
        let (domain, remainder) = Self.splitDomain(input)
        let remote = remainder.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)[0]
        if remote.lowercased() != remote {
            throw OCIError(.invalid, "invalid reference format: repository name (\(remote)) must be lowercase")
        }
        self = try Self.parseStrict(domain + "/" + remainder, original: input)
    }

    /// Docker's rule for whether the first component is a registry host.
    static func splitDomain(_ name: String) -> (String, String) {
        guard let slash = name.firstIndex(of: "/") else {
            return (defaultDomain, "library/" + name)
        }
        let first = String(name[..<slash])
        let rest = String(name[name.index(after: slash)...])
        var domain: String
        var remote: String
        if first == "localhost" || first.contains(".") || first.contains(":") || first.lowercased() != first {
            (domain, remote) = (first, rest)
        } else {
            (domain, remote) = (defaultDomain, name)
        }
        if domain == "index.docker.io" { domain = defaultDomain }
        if domain == defaultDomain, !remote.contains("/") { remote = "library/" + remote }
        return (domain, remote)
    }

    /// Parses `domain/path[:tag][@digest]` against Docker's reference grammar.
    static func parseStrict(_ s: String, original: String) throws(OCIError) -> Reference {
        var namePart = Substring(s)
        var digest: Digest?
        if let at = s.firstIndex(of: "@") {
            namePart = s[..<at]
            let d = String(s[s.index(after: at)...])
            do { digest = try Digest(parsing: d) } catch {
                throw OCIError(.invalid, "invalid reference format: \(original): \(error.message)")
            }
        }
        var tag: String?
        if let colon = namePart.lastIndex(of: ":"), !namePart[colon...].contains("/") {
            let t = String(namePart[namePart.index(after: colon)...])
            guard isValidTag(t) else {
                throw OCIError(.invalid, "invalid reference format: \(original): tag \"\(t)\" must be 1-128 of letters, digits, '_', '.', '-' and not start with '.' or '-'")
            }
            tag = t
            namePart = namePart[..<colon]
        }
        guard let slash = namePart.firstIndex(of: "/") else { throw formatError(original) }
        let domain = String(namePart[..<slash])
        let path = String(namePart[namePart.index(after: slash)...])
        guard isValidDomain(domain) else { throw formatError(original) }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        guard !components.isEmpty, components.allSatisfy({ isValidPathComponent($0) }) else {
            throw formatError(original)
        }
        // Like distribution/reference since v0.6.0: the limit is on the path; the domain is not counted.
        if path.utf8.count > 255 {
            throw OCIError(.invalid, "invalid reference format: repository name must not be more than 255 characters")
        }
        return Reference(domain: domain, path: path, tag: tag, digest: digest)
    }

    static func formatError(_ input: String) -> OCIError {
        OCIError(.invalid, "invalid reference format: \"\(input)\" is not [registry[:port]/]name[:tag][@digest] (names use lowercase letters, digits and the separators . _ __ -)")
    }

    static func isLowerHex(_ c: UInt8) -> Bool { (0x30...0x39).contains(c) || (0x61...0x66).contains(c) }
    static func isLowerAlnum(_ c: UInt8) -> Bool { (0x30...0x39).contains(c) || (0x61...0x7a).contains(c) }
    static func isAlnum(_ c: UInt8) -> Bool { isLowerAlnum(c) || (0x41...0x5a).contains(c) }
    static func isWord(_ c: UInt8) -> Bool { isAlnum(c) || c == UInt8(ascii: "_") }

    /// `[\w][\w.-]{0,127}`
    static func isValidTag(_ t: String) -> Bool {
        let u = Array(t.utf8)
        guard (1...128).contains(u.count), isWord(u[0]) else { return false }
        return u.dropFirst().allSatisfy { isWord($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    /// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
    static func isValidPathComponent(_ c: Substring) -> Bool {
        let u = Array(c.utf8)
        guard let first = u.first, let last = u.last, isLowerAlnum(first), isLowerAlnum(last) else { return false }
        var i = 0
        while i < u.count {
            if isLowerAlnum(u[i]) { i += 1; continue }
            var j = i
            while j < u.count, !isLowerAlnum(u[j]) { j += 1 }
            let sep = u[i..<j]
            let ok = sep.elementsEqual([UInt8(ascii: ".")]) || sep.elementsEqual([UInt8(ascii: "_")])
                || sep.elementsEqual([UInt8(ascii: "_"), UInt8(ascii: "_")]) || sep.allSatisfy { $0 == UInt8(ascii: "-") }
            if !ok { return false }
            i = j
        }
        return true
    }

    /// `host[:port]` where host is a dotted name, an IPv4 address or `[IPv6]`.
    static func isValidDomain(_ d: String) -> Bool {
        var host = Substring(d)
        if d.hasPrefix("[") {
            guard let close = d.firstIndex(of: "]") else { return false }
            let inner = d[d.index(after: d.startIndex)..<close]
            guard !inner.isEmpty, inner.utf8.allSatisfy({ isLowerHex($0) || (0x41...0x46).contains($0) || $0 == UInt8(ascii: ":") }) else { return false }
            let rest = d[d.index(after: close)...]
            return rest.isEmpty || isValidPort(rest)
        }
        if let colon = d.firstIndex(of: ":") {
            guard isValidPort(d[colon...]) else { return false }
            host = d[..<colon]
        }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        return !labels.isEmpty && labels.allSatisfy { label in
            let u = Array(label.utf8)
            guard let f = u.first, let l = u.last, isAlnum(f), isAlnum(l) else { return false }
            return u.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "-") }
        }
    }

    static func isValidPort(_ s: Substring) -> Bool {
        let digits = s.dropFirst()
        return s.first == ":" && !digits.isEmpty && digits.utf8.allSatisfy { (0x30...0x39).contains($0) }
    }
}
