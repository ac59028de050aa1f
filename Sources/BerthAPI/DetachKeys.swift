/// Docker's detach key sequence (`--detach-keys`, the `detachKeys` attach parameter): a
/// comma-separated list of `ctrl-<x>` and single characters, `ctrl-p,ctrl-q` by default. On a
/// terminal attach, typing it ends the attach and leaves the container running.
public struct DetachKeys: Sendable, Equatable {
    public let bytes: [UInt8]

    /// ctrl-p, ctrl-q.
    public static let standard = DetachKeys(bytes: [16, 17])

    /// The control names Docker knows, by the byte they stand for (moby/term's ASCII table).
    static let controlNames = ["ctrl-@"] + (UInt8(ascii: "a")...UInt8(ascii: "z")).map { "ctrl-" + String(UnicodeScalar($0)) }
        + ["ctrl-[", "ctrl-\\", "ctrl-]", "ctrl-^", "ctrl-_"]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// Parses a spec as `term.ToBytes` does; an empty spec is the default.
    public init(parsing spec: String) throws(DetachKeysError) {
        guard !spec.isEmpty else {
            self = .standard
            return
        }
        var bytes: [UInt8] = []
        for key in spec.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            if key.utf8.count == 1, let b = key.utf8.first {
                bytes.append(b)
            } else if let code = Self.controlNames.firstIndex(of: key) {
                bytes.append(UInt8(code))
            } else if key == "DEL" {
                bytes.append(127)
            } else {
                throw DetachKeysError(spec: spec, key: key)
            }
        }
        self.bytes = bytes
    }
}

/// A detach key spec that does not parse, named with what would.
public struct DetachKeysError: Error, CustomStringConvertible, Sendable {
    public let spec: String
    public let key: String
    public var description: String {
        "Invalid detach keys (\(spec)) provided: unknown character '\(key)'; use a comma-separated list of single characters and ctrl-<a-z, @, [, \\, ], ^, _>, e.g. ctrl-p,ctrl-q"
    }
}

/// Finds the detach sequence in a stream of input chunks. Bytes that could begin the sequence
/// are held back until the next byte decides; everything else passes through unchanged.
public struct DetachScanner: Sendable {
    let keys: [UInt8]
    private var matched = 0

    public init(_ keys: DetachKeys) { self.keys = keys.bytes }

    /// The bytes to forward, and whether the sequence completed (the bytes after it are dropped).
    public mutating func scan(_ chunk: some Sequence<UInt8>) -> (forward: [UInt8], detach: Bool) {
        var out: [UInt8] = []
        guard !keys.isEmpty else { return (Array(chunk), false) }
        for b in chunk {
            if b == keys[matched] {
                matched += 1
                if matched == keys.count { return (out, true) }
                continue
            }
            // Not the sequence after all: release what was held, then look at b afresh.
            out.append(contentsOf: keys[0..<matched])
            matched = 0
            if b == keys[0] {
                matched = 1
                if matched == keys.count { return (out, true) }
            } else {
                out.append(b)
            }
        }
        return (out, false)
    }
}
