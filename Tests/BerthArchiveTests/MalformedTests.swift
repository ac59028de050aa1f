import Foundation
import Glibc
import Testing

@testable import BerthArchive

@Suite struct MalformedTests {
    /// A layer big enough that cutting it in half lands in the middle of file data.
    static func sizable(_ box: Sandbox) throws -> String {
        var bytes = Data(count: 300_000)
        for i in stride(from: 0, to: bytes.count, by: 97) { bytes[i] = UInt8(truncatingIfNeeded: i * 31 + i >> 9) }
        return try box.tar([.dir("d"), .file("d/a", "small"), .file("d/big", bytes: bytes), .file("d/z", "after")])
    }

    @Test(arguments: [Squeeze.gzip, .zstd])
    func truncatedCompressedStreamIsMalformed(_ how: Squeeze) throws {
        let box = try Sandbox()
        let full = try Data(contentsOf: URL(fileURLWithPath: try box.compress(try Self.sizable(box), how)))
        for cut in [full.count / 2, full.count - 8, 20] {
            let layer = try box.layer(bytes: full.prefix(cut))
            let error = #expect(throws: ArchiveError.self, "cut at \(cut) of \(full.count)") { try box.extract(layer) }
            #expect(error?.code == .malformed, "\(error?.message ?? "")")
            #expect(lstatOf(box.at("d/z")) == nil)
        }
    }

    /// Cuts inside the first header, inside the first file's data, and inside the second header.
    @Test(arguments: [300, 700, 512 + 150_000, 512 + 300_032 + 200])
    func truncatedTarIsMalformed(_ cut: Int) throws {
        let box = try Sandbox()
        let full = try Data(contentsOf: URL(fileURLWithPath: try box.tar([.file("d/big", bytes: Data(count: 300_000)), .file("d/z", "after")])))
        let layer = try box.layer(bytes: full.prefix(cut))
        let error = #expect(throws: ArchiveError.self) { try box.extract(layer) }
        #expect(error?.code == .malformed, "\(error?.message ?? "")")
        #expect(lstatOf(box.at("d/z")) == nil)
    }

    @Test func truncatedFileDataNamesTheEntry() throws {
        let box = try Sandbox()
        let full = try Data(contentsOf: URL(fileURLWithPath: try box.tar([.file("d/big", bytes: Data(count: 300_000))])))
        let layer = try box.layer(bytes: full.prefix(100_000))
        let error = #expect(throws: ArchiveError.self) { try box.extract(layer) }
        #expect(error?.code == .malformed)
        #expect(error?.message.contains("d/big") == true, "\(error?.message ?? "")")
    }

    static let garbage: [(String, Data)] = [
        ("text", Data("this is not a tar archive at all, just words\n".utf8)),
        ("random block", Data((0..<2048).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) })),
        ("bad checksum header", {
            var d = Data(count: 1536)
            d.replaceSubrange(0..<4, with: Data("file".utf8))
            d.replaceSubrange(148..<156, with: Data("0000000\0".utf8))
            return d
        }()),
        ("gzip magic then junk", Data([0x1f, 0x8b, 0x08, 0x00] + Array(repeating: UInt8(0x41), count: 200))),
    ]

    @Test(arguments: garbage)
    func garbageIsMalformed(_ label: String, _ bytes: Data) throws {
        let box = try Sandbox()
        let layer = try box.layer(bytes: bytes)
        let error = #expect(throws: ArchiveError.self) { try box.extract(layer) }
        #expect(error?.code == .malformed, "\(error?.message ?? "")")
        #expect(try FileManager.default.contentsOfDirectory(atPath: box.root).isEmpty)
    }

    @Test(arguments: [Squeeze.gzip, .zstd])
    func layerCompressedTwiceIsMalformed(_ how: Squeeze) throws {
        let box = try Sandbox()
        let once = try box.compress(try box.tar([.file("f", "x")]), .gzip)
        let layer = try box.compress(once, how)
        let error = #expect(throws: ArchiveError.self) { try box.extract(layer) }
        #expect(error?.code == .malformed, "\(error?.message ?? "")")
        #expect(error?.message.contains("compressed more than once") == true, "\(error?.message ?? "")")
        #expect(try FileManager.default.contentsOfDirectory(atPath: box.root).isEmpty)
    }

    @Test func externalDecompressorFormatsAreNotTried() throws {
        let box = try Sandbox()
        // lrzip's magic: with every libarchive filter enabled this would spawn `lrzip -d`.
        let layer = try box.layer(bytes: Data("LRZI".utf8) + Data(count: 2044))
        let error = #expect(throws: ArchiveError.self) { try box.extract(layer) }
        #expect(error?.code == .malformed, "\(error?.message ?? "")")
    }

    @Test(arguments: [("/usr/bin/xz", "xz"), ("/usr/bin/bzip2", "bz2")])
    func xzAndBzip2LayersAreReadToo(_ tool: String, _ ext: String) throws {
        let box = try Sandbox()
        let plain = try box.tar([.file("f", "compressed")])
        try run(tool, "-k", "-f", plain)
        let result = try box.extract(plain + "." + ext)
        #expect(contents(box.at("f")) == "compressed")
        #expect(result.diffID.description == (try sha256sum(plain)))
    }
}
