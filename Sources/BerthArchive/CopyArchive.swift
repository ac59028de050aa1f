import CArchive
import Glibc

/// Whose files an extraction makes.
public enum Ownership: Sendable, Equatable {
    /// The owners the archive names (layers; `docker cp` into a container).
    case archive
    /// Everything owned by one user (`docker cp -a` into a container whose config names a user).
    case fixed(uid: UInt32, gid: UInt32)
    /// Whoever extracts (the CLI writing to the host: Docker's NoLchown).
    case caller
}

/// The tar archives of `docker cp`: a file or directory and everything under it, in either
/// direction. Writing never follows a symlink; extraction resolves every entry beneath the
/// destination directory's fd with openat2(RESOLVE_BENEATH), so neither a symlink already
/// there nor one the archive creates can send a write outside it.
public enum CopyArchive {
    /// How entries are extracted.
    public struct Options: Sendable {
        /// Refuse to replace a directory with a non-directory or the reverse.
        public var noOverwriteDirNonDir = false
        public var owner: Ownership = .archive
        /// How errors name the destination (a container path).
        public var destinationName = "."
        /// Entries whose name starts with `from` take `to` instead (the CLI's RebaseArchiveEntries).
        public var rename: (from: String, to: String)?
        public init() {}
    }

    /// Writes the entry `name` of the directory `dirFD` ("." for `dirFD` itself) as a tar to
    /// `fd`, named `entryName` (children `entryName/…`); returns the bytes written. Kernel
    /// filesystems mounted below (a running container's /proc, /sys) are stored empty.
    public static func write(from dirFD: Int32, name: String, as entryName: String, to fd: Int32) throws -> Int64 {
        try TarTreeWriter.write(to: fd) { tar in
            try tar.addTree(in: dirFD, name: name, as: entryName)
        }
    }

    /// Extracts the tar (plain, gzip, bzip2, xz or zstd — decompressed in-process, never by a
    /// program) read from `fd` into the directory `dirFD`. Names with `..` are refused; a
    /// leading `/` means the destination, as in Docker.
    public static func extract(from fd: Int32, into dirFD: Int32, options: Options) throws(ArchiveError) {
        let stream = try DecompressedStream(fd: fd)
        var applierOptions = Applier.Options()
        applierOptions.whiteouts = false
        applierOptions.noOverwriteDirNonDir = options.noOverwriteDirNonDir
        applierOptions.owner = options.owner
        applierOptions.noun = "archive entry"
        applierOptions.rootName = options.destinationName
        applierOptions.rootedNames = true
        let applier = Applier(rootFD: dirFD, options: applierOptions)
        defer { applier.closeAll() }
        try TarReader.read(from: stream) { (entry: OpaquePointer, reader: OpaquePointer) throws(ArchiveError) in
            if let (from, to) = options.rename { rename(entry, from: from, to: to) }
            try applier.apply(entry: entry, reader: reader)
        }
        try stream.drain()
        try applier.finish()
    }

    /// Replaces a leading `from` with `to` in the entry's name and hard-link target.
    static func rename(_ entry: OpaquePointer, from: String, to: String) {
        func swapped(_ name: String) -> String? {
            guard name.hasPrefix(from) else { return nil }
            return to + name.dropFirst(from.count)
        }
        if let p = archive_entry_pathname(entry), let n = swapped(String(cString: p)) { archive_entry_set_pathname(entry, n) }
        if let l = archive_entry_hardlink(entry), let n = swapped(String(cString: l)) { archive_entry_set_hardlink(entry, n) }
    }
}
