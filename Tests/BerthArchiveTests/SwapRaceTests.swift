import Foundation
import Glibc
import Synchronization
import Testing

@testable import BerthArchive

/// CVE-2025-47290's class: while a layer is extracted, another thread keeps exchanging a
/// directory the layer writes into with a symlink to the outside (renameat2 RENAME_EXCHANGE,
/// so `d` always exists as one or the other). Every directory is opened beneath the root
/// (openat2 RESOLVE_BENEATH), so a swapped-in link fails the entry; nothing is written out.
@Suite struct SwapRaceTests {
    typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32

    @Test func aDirectorySwappedForAnOutsideLinkDuringExtractionNeverLeadsOut() throws {
        let box = try Sandbox()
        let before = try box.outside()
        // Files in 4 directories under d/, with no entries for the directories: each one is
        // created and then opened again through d, so every extraction walks d 8 times.
        let layer = try box.tar((0..<100).map { TarEntry.file("d/s\($0 % 4)/f\($0)", "layer \($0)\n") })
        try FileManager.default.createDirectory(atPath: box.at("d"), withIntermediateDirectories: false)
        // Absolute, relative and /-rooted links to the canary directory, and one to a directory in it.
        let targets = [box.canary, "../../canary", "//" + box.canary.dropFirst(), "../../canary/etc"]
        for (i, t) in targets.enumerated() { #expect(symlink(t, box.at("l\(i)")) == 0) }
        let exchange = try #require(dlsym(nil, "renameat2").map { unsafeBitCast($0, to: RenameAt2.self) })

        final class Race: Sendable {
            let stop = Atomic(false)
            let swaps = Atomic(0)
        }
        let race = Race()
        let root = box.root
        let racer = Thread {
            var i = 0
            while !race.stop.load(ordering: .relaxed) {
                let link = "\(root)/l\(i % targets.count)"
                // Link in, then the directory back.
                if exchange(AT_FDCWD, "\(root)/d", AT_FDCWD, link, 2 /* RENAME_EXCHANGE */) == 0 {
                    sched_yield()
                    _ = exchange(AT_FDCWD, "\(root)/d", AT_FDCWD, link, 2)
                    usleep(20)  // the directory in place for a while, so some extractions get through
                    i += 1
                    race.swaps.store(i, ordering: .relaxed)
                }
            }
        }
        racer.start()
        // Until both outcomes happened (a cap keeps a starved racer from looping forever).
        var extracted = 0, refused = 0, errors = Set<String>()
        while (extracted + refused < 150 || extracted == 0 || refused == 0) && extracted + refused < 5000 {
            do {
                _ = try box.extract(layer)
                extracted += 1
            } catch {
                refused += 1
                errors.insert(error.message.replacing(#/s[0-9]+/#, with: "sN"))
            }
        }
        race.stop.store(true, ordering: .relaxed)
        while !racer.isFinished { usleep(1_000) }

        #expect(extracted > 0 && refused > 0, "the race went both ways: \(extracted) extracted, \(refused) refused, \(race.swaps.load(ordering: .relaxed)) swaps")
        #expect(errors.allSatisfy { $0.contains("outside the layer through a symlink at \"d") }, "refused as an escape: \(errors)")
        #expect(try box.outside() == before, "nothing outside the root changed")
        #expect(!FileManager.default.fileExists(atPath: box.canary + "/s0"))
        #expect(!FileManager.default.fileExists(atPath: box.canary + "/etc/s0"))
        #expect(FileManager.default.fileExists(atPath: box.at("d/s3/f99")), "the last complete extraction wrote into the directory")
    }
}
