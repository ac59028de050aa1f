import ArgumentParser
import Foundation

/// `berth port CONTAINER [PRIVATE_PORT[/PROTO]]`: the container's published ports, from
/// `NetworkSettings.Ports` as the docker CLI reads them.
struct Port: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "port", abstract: "List port mappings or a specific mapping for the container")

    @Argument(help: "Container") var container: String
    @Argument(help: "PRIVATE_PORT[/PROTO] (tcp unless given)") var port: String?

    func run() throws {
        let info = try API.connect().json("GET", "/containers/\(container)/json") as? [String: Any] ?? [:]
        let ports = (info["NetworkSettings"] as? [String: Any])?["Ports"] as? [String: Any] ?? [:]
        func frontends(_ value: Any?) -> [String] {
            (value as? [[String: Any]] ?? []).map { Self.joinHostPort($0["HostIp"] as? String ?? "", $0["HostPort"] as? String ?? "") }
        }
        var out: [String] = []
        if let port {
            let parts = port.split(separator: "/", maxSplits: 1).map(String.init)
            guard let number = parts.first, UInt16(number) != nil else { throw CLIError("Error: invalid port (\(parts.first ?? port)): a number 0-65535") }
            out = frontends(ports["\(number)/\(parts.count > 1 ? parts[1] : "tcp")"])
            guard !out.isEmpty else { throw CLIError("Error: No public port '\(port)' published for \(container)") }
        } else {
            for (from, value) in ports {
                out += frontends(value).map { "\(from) -> \($0)" }
            }
        }
        out.sort { Self.naturalLess($0, $1) }
        if !out.isEmpty { print(out.joined(separator: "\n")) }
    }

    /// Go's `net.JoinHostPort`: IPv6 hosts in brackets.
    static func joinHostPort(_ host: String, _ port: String) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Runs of digits compare as numbers (`80/tcp` before `443/tcp`), like docker's sortorder.
    static func naturalLess(_ a: String, _ b: String) -> Bool {
        var i = a.unicodeScalars.makeIterator(), j = b.unicodeScalars.makeIterator()
        var x = i.next(), y = j.next()
        while let cx = x, let cy = y {
            let dx = ("0"..."9").contains(cx), dy = ("0"..."9").contains(cy)
            if dx && dy {
                var nx = "", ny = ""
                while let c = x, ("0"..."9").contains(c) { nx.unicodeScalars.append(c); x = i.next() }
                while let c = y, ("0"..."9").contains(c) { ny.unicodeScalars.append(c); y = j.next() }
                let vx = nx.drop { $0 == "0" }, vy = ny.drop { $0 == "0" }
                if vx.count != vy.count { return vx.count < vy.count }
                if vx != vy { return vx < vy }
                continue
            }
            if cx != cy { return cx < cy }
            x = i.next()
            y = j.next()
        }
        return x == nil && y != nil
    }
}
