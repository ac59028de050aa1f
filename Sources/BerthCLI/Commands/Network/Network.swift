import ArgumentParser
import Foundation

/// `berth network …`.
struct NetworkGroup: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "network", abstract: "Manage networks",
        subcommands: [NetworkCreate.self, NetworkLs.self, NetworkInspect.self, NetworkRm.self, NetworkPrune.self,
                      NetworkConnect.self, NetworkDisconnect.self])

    /// POSTs a JSON body and returns the parsed answer (nil when the body is empty).
    static func post(_ path: String, _ body: [String: Any]) throws -> Any? {
        let data = try JSONSerialization.data(withJSONObject: body)
        let resp = try API.connect().call("POST", path, headers: [("Content-Type", "application/json")], body: .data(data))
        let bytes = try resp.readAll()
        return bytes.isEmpty ? nil : try? JSONSerialization.jsonObject(with: bytes)
    }
}
