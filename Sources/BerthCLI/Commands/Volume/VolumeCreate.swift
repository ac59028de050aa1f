import ArgumentParser
import Foundation

/// `berth volume create`.
struct VolumeCreate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a volume")

    @Option(name: .shortAndLong, help: "Specify volume driver name (only local)") var driver = "local"
    @Option(help: "Set metadata for a volume (key=value)") var label: [String] = []
    @Option(name: .shortAndLong, help: "Set driver specific options (berthd's local driver takes none)") var opt: [String] = []
    @Argument(help: "Volume name (a random one when omitted)") var name: String?

    func run() throws {
        var body: [String: Any] = ["Name": name ?? "", "Driver": driver]
        if !label.isEmpty { body["Labels"] = VolumeGroup.keyValues(label) }
        if !opt.isEmpty { body["DriverOpts"] = VolumeGroup.keyValues(opt) }
        let data = try JSONSerialization.data(withJSONObject: body)
        let resp = try API.connect().call("POST", "/volumes/create", headers: [("Content-Type", "application/json")], body: .data(data))
        let v = try JSONSerialization.jsonObject(with: try resp.readAll()) as? [String: Any] ?? [:]
        print(v["Name"] as? String ?? "")
    }
}
