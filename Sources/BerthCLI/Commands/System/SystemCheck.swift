import ArgumentParser
import BerthAPI
import Foundation

/// `berth system check` (Berth's own; Docker has none): berthd re-hashes every blob and checks
/// every image's manifest, config, layers and snapshot chain. Exits 1 when anything is wrong.
struct SystemCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Verify every blob against its digest and every image's layer chain")

    func run() throws {
        let r = try API.connect().json("GET", "/berth/system/check") as? [String: Any] ?? [:]
        let count = { (key: String) in (r[key] as? NSNumber)?.intValue ?? 0 }
        let problems = r["Problems"] as? [String] ?? []
        print("Checked \(count("Blobs")) blobs, \(count("Images")) images, \(count("Snapshots")) layer snapshots")
        guard !problems.isEmpty else {
            print("No problems found")
            return
        }
        for p in problems { print(p) }
        FileHandle.standardError.write(Data("\(problems.count) problem(s) found\n".utf8))
        throw ExitCode(1)
    }
}
