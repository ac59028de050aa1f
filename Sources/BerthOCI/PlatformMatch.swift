extension Platform {
    /// Parses `os[/arch[/variant]]` as `--platform` takes it (`linux/amd64`, `linux/arm64/v8`).
    /// Docker's aliases are normalized: `x86_64` → `amd64`, `aarch64` → `arm64`.
    public init(parsing text: String) throws(OCIError) {
        let parts = text.lowercased().split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (1...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }) else {
            throw OCIError(.invalid, "invalid platform \"\(text)\": expected os/arch[/variant], like linux/amd64")
        }
        let os = parts[0]
        guard parts.count > 1 else {
            self = Platform(architecture: Platform.host.architecture, os: os, variant: Platform.host.variant)
            return
        }
        var arch = parts[1]
        var variant = parts.count > 2 ? parts[2] : nil
        switch arch {
        case "x86_64", "x86-64": arch = "amd64"
        case "aarch64":
            arch = "arm64"
            if variant == nil { variant = "v8" }
        case "armhf": arch = "arm"; variant = variant ?? "v7"
        case "armel": arch = "arm"; variant = variant ?? "v6"
        default: break
        }
        self = Platform(architecture: arch, os: os, variant: variant)
    }

    /// Whether an image for `candidate` runs here, as containerd's matcher decides: same os and
    /// architecture; a variant given on both sides must agree (arm64's v8 is its default).
    public func matches(_ candidate: Platform) -> Bool {
        guard os == candidate.os, architecture == candidate.architecture else { return false }
        let mine = Self.normalizedVariant(architecture, variant)
        let theirs = Self.normalizedVariant(candidate.architecture, candidate.variant)
        return mine == nil || theirs == nil || mine == theirs
    }

    static func normalizedVariant(_ arch: String, _ variant: String?) -> String? {
        if arch == "arm64", variant == nil || variant == "v8" { return nil }
        return variant
    }
}

extension Index {
    /// The manifest for `platform`: exact variant matches first, then the first compatible one.
    /// Entries without a platform are not images (attestations, signatures) and are skipped.
    public func manifest(for platform: Platform) -> Descriptor? {
        let images = manifests.filter { $0.platform != nil && (MediaType.isManifest($0.mediaType) || MediaType.isIndex($0.mediaType)) }
        if let exact = images.first(where: { $0.platform?.os == platform.os && $0.platform?.architecture == platform.architecture && $0.platform?.variant == platform.variant }) {
            return exact
        }
        return images.first { $0.platform.map(platform.matches) ?? false }
    }

    /// The platforms this index offers, for an error message.
    public var platforms: [String] { manifests.compactMap { $0.platform?.description } }
}
