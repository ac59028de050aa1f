import BerthOCI

/// A hasher with a byte count, kept in a class so C callbacks can reach it.
struct DigestHasherBox {
    private var hasher = DigestHasher()
    var count: Int64 { hasher.count }
    mutating func update(_ b: UnsafeRawBufferPointer) { hasher.update(b) }
    func finalize() -> Digest { hasher.finalize() }
}
