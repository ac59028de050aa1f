import ArgumentParser
import Foundation

/// `berth volume …`.
struct VolumeGroup: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "volume", abstract: "Manage volumes",
        subcommands: [VolumeCreate.self, VolumeLs.self, VolumeInspect.self, VolumeRm.self, VolumePrune.self])

    /// `k=v` options (labels, driver options) as a map; `k` alone means an empty value.
    static func keyValues(_ items: [String]) -> [String: String] {
        var out: [String: String] = [:]
        for item in items {
            let p = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard let key = p.first else { continue }
            out[key] = p.count > 1 ? p[1] : ""
        }
        return out
    }
}
