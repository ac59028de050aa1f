import ArgumentParser
import BerthAPI
import Dispatch
import Foundation
import Glibc
import Synchronization

/// `berth stats`: CPU, memory, network, block I/O and pids of containers, as `docker stats`
/// shows them; redrawn every half second unless `--no-stream`.
struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Display a live stream of container(s) resource usage statistics")
    @Flag(name: .shortAndLong, help: "Show all containers (default shows just running)") var all = false
    @Flag(help: "Disable streaming stats and only pull the first result") var noStream = false
    @Flag(help: "Do not truncate output") var noTrunc = false
    @Option(help: "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template") var format: String?
    @Argument(help: "Containers (default: all running ones)") var containers: [String] = []

    func run() throws {
        let socket = try DaemonConnection.socketPath()
        if noStream {
            let targets = containers.isEmpty ? try Self.list(socket: socket, all: all).map(\.container) : containers
            let rows = Self.readOnce(socket: socket, targets)
            let errors = rows.compactMap(\.error)
            if !errors.isEmpty { throw CLIError(errors.joined(separator: "\n")) }
            try render(rows)
            return
        }
        let api = API(client: try UnixHTTPClient(socketPath: socket))
        for c in containers { _ = try api.json("GET", "/containers/\(c)/json") }
        let board = StatsBoard()
        while true {
            let targets = containers.isEmpty ? try Self.list(socket: socket, all: all) : containers.map { Target(container: $0, running: true, idle: StatsRow(container: $0)) }
            for t in targets {
                if t.running, board.startReading(t.container) {
                    let (c, reopen) = (t.container, !containers.isEmpty)
                    Thread.detachNewThread { Self.follow(socket: socket, container: c, board: board, reopen: reopen) }
                } else if !t.running {
                    board.set(t.idle)
                }
            }
            board.keep(only: Set(targets.map(\.container)))
            if isatty(1) != 0 { FileHandle.standardOutput.write(Data("\u{1b}[2J\u{1b}[H".utf8)) }
            try render(targets.map { board.row($0.container) ?? $0.idle })
            usleep(500_000)
        }
    }

    func render(_ rows: [StatsRow]) throws {
        let given = format ?? ""
        let template = given.isEmpty || given == "table" ? StatsRow.defaultFormat : given
        try Output.render(rows.map { $0.fields(truncate: !noTrunc) }, format: template, headers: StatsRow.headers)
    }

    /// A container on the board, with the zero row shown while it does not run.
    struct Target {
        var container: String
        var running: Bool
        var idle: StatsRow
    }

    /// The containers `stats` shows without names: running ones (all with `-a`), by short id.
    static func list(socket: String, all: Bool) throws -> [Target] {
        let api = API(client: try UnixHTTPClient(socketPath: socket))
        let list = try api.json("GET", "/containers/json", query: all ? [("all", "1")] : []) as? [[String: Any]] ?? []
        return list.map { c in
            let id = c["Id"] as? String ?? ""
            let short = String(id.prefix(12))
            let name = (c["Names"] as? [String])?.first ?? ""
            return Target(container: short, running: ["running", "paused", "restarting"].contains(c["State"] as? String ?? ""),
                          idle: StatsRow(container: short, stats: ["id": id, "name": name]))
        }
    }

    /// One stats object per container (`stream=0`), fetched in parallel: each takes a second.
    static func readOnce(socket: String, _ targets: [String]) -> [StatsRow] {
        let rows = Mutex<[StatsRow?]>(Array(repeating: nil, count: targets.count))
        DispatchQueue.concurrentPerform(iterations: targets.count) { i in
            let c = targets[i]
            var row = StatsRow(container: c)
            do {
                let api = API(client: try UnixHTTPClient(socketPath: socket))
                row = StatsRow(container: c, stats: try api.json("GET", "/containers/\(c)/stats", query: [("stream", "0")]) as? [String: Any] ?? [:])
            } catch let e as CLIError {
                row.error = e.message
            } catch {
                row.error = "\(error)"
            }
            rows.withLock { $0[i] = row }
        }
        return rows.withLock { $0.compactMap { $0 } }
    }

    /// Reads the container's stream into the board until it ends; with `reopen` (a container
    /// the user named) shows zeros and asks again every second, as docker keeps showing it.
    static func follow(socket: String, container: String, board: StatsBoard, reopen: Bool) {
        defer { board.stopReading(container) }
        repeat {
            do {
                let resp = try API(client: try UnixHTTPClient(socketPath: socket)).call("GET", "/containers/\(container)/stats", query: [("stream", "1")])
                while let line = try resp.readLine() {
                    guard let o = try? JSONSerialization.jsonObject(with: line) as? [String: Any] else { continue }
                    board.set(StatsRow(container: container, stats: o))
                }
            } catch {
                var row = StatsRow(container: container)
                row.error = "\(error)"
                board.set(row)
                return
            }
            if reopen { sleep(1) }
        } while reopen
    }
}
