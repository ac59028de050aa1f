import ArgumentParser
import BerthAPI
import Foundation

/// `berth ps` / `container ls`.
struct PS: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "List containers", aliases: ["ls", "list"])

    @Flag(name: .shortAndLong, help: "Show all containers (default shows just running)") var all = false
    @Flag(name: .shortAndLong, help: "Only display container IDs") var quiet = false
    @Flag(name: .shortAndLong, help: "Display total file sizes") var size = false
    @Option(name: [.customShort("n"), .long], help: "Show n last created containers (includes all states)") var last: Int?
    @Flag(name: .shortAndLong, help: "Show the latest created container (includes all states)") var latest = false
    @Flag(help: "Don't truncate output") var noTrunc = false
    @Option(name: .shortAndLong, help: "Filter output based on conditions provided") var filter: [String] = []
    @Option(help: "Format output using a Go template, 'table' or 'json'") var format: String?

    func run() throws {
        if size { throw CLIError("ps --size is not supported by berth yet") }
        var query: [(String, String)] = []
        if all || last != nil || latest { query.append(("all", "1")) }
        if let n = latest ? 1 : last { query.append(("limit", "\(n)")) }
        if let f = try API.filtersQuery(filter) { query.append(f) }
        let list = try API.connect().json("GET", "/containers/json", query: query) as? [[String: Any]] ?? []
        if quiet {
            for c in list { print(Output.shortID(c["Id"] as? String ?? "", noTrunc: noTrunc)) }
            return
        }
        let rows: [[String: Any]] = list.map { c in
            var cmd = c["Command"] as? String ?? ""
            if !noTrunc && cmd.count > 20 { cmd = String(cmd.prefix(19)) + "…" }
            let created = (c["Created"] as? NSNumber)?.doubleValue ?? 0
            let names = (c["Names"] as? [String] ?? []).map { $0.hasPrefix("/") ? String($0.dropFirst()) : $0 }
            return ["ID": Output.shortID(c["Id"] as? String ?? "", noTrunc: noTrunc), "Image": c["Image"] as? String ?? "",
                    "Command": "\"\(cmd)\"", "CreatedAt": Date(timeIntervalSince1970: created).description + " UTC",
                    "RunningFor": Output.ago(created), "Status": c["Status"] as? String ?? "", "State": c["State"] as? String ?? "",
                    "Ports": Self.ports(c["Ports"] as? [[String: Any]] ?? []), "Names": names.joined(separator: ","), "Labels": (c["Labels"] as? [String: String] ?? [:]).map { "\($0)=\($1)" }.sorted().joined(separator: ","),
                    "Mounts": (c["Mounts"] as? [[String: Any]] ?? []).compactMap { $0["Source"] as? String }.joined(separator: ","),
                    "Networks": ((c["NetworkSettings"] as? [String: Any])?["Networks"] as? [String: Any] ?? [:]).keys.sorted().joined(separator: ","),
                    "Size": ""]
        }
        try Output.render(rows, format: format ?? "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}",
                          headers: ["ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND", "CreatedAt": "CREATED AT",
                                    "RunningFor": "CREATED", "Status": "STATUS", "State": "STATE", "Ports": "PORTS", "Names": "NAMES",
                                    "Labels": "LABELS", "Mounts": "MOUNTS", "Networks": "NETWORKS", "Size": "SIZE"])
    }
}

/// `berth logs`.
struct Logs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Fetch the logs of a container")

    @Argument(help: "Container") var container: String
    @Flag(name: .shortAndLong, help: "Follow log output") var follow = false
    @Option(name: [.customShort("n"), .long], help: "Number of lines to show from the end of the logs") var tail: String = "all"
    @Option(help: "Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m)") var since: String?
    @Option(help: "Show logs before a timestamp or relative time") var until: String?
    @Flag(name: .shortAndLong, help: "Show timestamps") var timestamps = false

    func run() throws {
        let socket = try DaemonConnection.socketPath()
        let info = try API(client: try UnixHTTPClient(socketPath: socket)).json("GET", "/containers/\(container)/json") as? [String: Any] ?? [:]
        let tty = (info["Config"] as? [String: Any])?["Tty"] as? Bool ?? false
        var query = [("stdout", "1"), ("stderr", "1"), ("tail", tail)]
        if follow { query.append(("follow", "1")) }
        if timestamps { query.append(("timestamps", "1")) }
        if let since { query.append(("since", try Self.time(since))) }
        if let until { query.append(("until", try Self.time(until))) }
        let resp = try API(client: try UnixHTTPClient(socketPath: socket)).call("GET", "/containers/\(info["Id"] as? String ?? container)/logs", query: query)
        var pending = Data()
        while let chunk = try resp.readChunk() {
            if tty { FileHandle.standardOutput.write(chunk); continue }
            pending.append(chunk)
            while pending.count >= 8 {
                let b = [UInt8](pending.prefix(8))
                let size = Int(b[4]) << 24 | Int(b[5]) << 16 | Int(b[6]) << 8 | Int(b[7])
                guard pending.count >= 8 + size else { break }
                (b[0] == 2 ? FileHandle.standardError : FileHandle.standardOutput).write(pending.subdata(in: pending.startIndex + 8..<pending.startIndex + 8 + size))
                pending = Data(pending.dropFirst(8 + size))
            }
        }
    }

    /// Relative (`42m`, `2h`, `10s`) or absolute times → unix seconds for the API.
    static func time(_ s: String) throws -> String {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
        if let u = s.last, let mult = units[u], let n = Double(s.dropLast()) {
            return String(format: "%.9f", Date().timeIntervalSince1970 - n * mult)
        }
        if Double(s) != nil { return s }
        return s
    }
}

extension PS {
    /// docker's PORTS column: `0.0.0.0:8080->80/tcp, 443/tcp`.
    static func ports(_ list: [[String: Any]]) -> String {
        func n(_ v: Any?) -> Int { (v as? NSNumber)?.intValue ?? 0 }
        return list.sorted { (n($0["PrivatePort"]), n($0["PublicPort"])) < (n($1["PrivatePort"]), n($1["PublicPort"])) }.map { p in
            let inner = "\(n(p["PrivatePort"]))/\(p["Type"] as? String ?? "tcp")"
            guard let ip = p["IP"] as? String else { return inner }
            return "\(ip):\(n(p["PublicPort"]))->\(inner)"
        }.joined(separator: ", ")
    }
}
