import ArgumentParser
import BerthAPI
import Foundation
import Glibc

/// `berth exec`.
struct Exec: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exec", abstract: "Execute a command in a running container")

    @Flag(name: .shortAndLong, help: "Detached mode: run command in the background") var detach = false
    @Option(name: .shortAndLong, help: "Set environment variables") var env: [String] = []
    @Flag(name: .shortAndLong, help: "Keep STDIN open even if not attached") var interactive = false
    @Flag(name: .shortAndLong, help: "Allocate a pseudo-TTY") var tty = false
    @Flag(help: "Give extended privileges to the command") var privileged = false
    @Option(name: .shortAndLong, help: "Username or UID (format: <name|uid>[:<group|gid>])") var user: String?
    @Option(name: .shortAndLong, help: "Working directory inside the container") var workdir: String?
    @Option(help: "Override the key sequence for detaching a container") var detachKeys: String?
    @Argument(parsing: .captureForPassthrough, help: "CONTAINER COMMAND [ARG...]") var containerAndCommand: [String] = []

    func run() throws {
        guard containerAndCommand.count >= 2 else { throw CLIError("\"berth exec\" requires at least 2 arguments: berth exec [OPTIONS] CONTAINER COMMAND [ARG...]") }
        let container = containerAndCommand[0]
        let keys = try AttachStream.keys(detachKeys)
        let socket = try DaemonConnection.socketPath()
        let api = API(client: try UnixHTTPClient(socketPath: socket))
        _ = try api.json("GET", "/containers/\(container)/json")
        let envs = env.compactMap { e in e.contains("=") ? e : ProcessInfo.processInfo.environment[e].map { "\(e)=\($0)" } }
        let body: [String: Any] = ["User": user ?? "", "Privileged": privileged, "Tty": tty, "AttachStdin": interactive && !detach,
                                   "AttachStdout": !detach, "AttachStderr": !detach, "Detach": detach, "Env": envs,
                                   "WorkingDir": workdir ?? "", "Cmd": Array(containerAndCommand.dropFirst()),
                                   "DetachKeys": detachKeys ?? ""]
        let created = try api.call("POST", "/containers/\(container)/exec", headers: [("Content-Type", "application/json")],
                                   body: .data(try JSONSerialization.data(withJSONObject: body)))
        guard let id = (try JSONSerialization.jsonObject(with: try created.readAll()) as? [String: Any])?["Id"] as? String else {
            throw CLIError("the daemon did not return an exec id")
        }
        let start = try JSONSerialization.data(withJSONObject: ["Detach": detach, "Tty": tty])
        if detach {
            _ = try API(client: try UnixHTTPClient(socketPath: socket)).call("POST", "/exec/\(id)/start", headers: [("Content-Type", "application/json")], body: .data(start))
            return
        }
        let stream = try AttachStream(socketPath: socket, path: "/exec/\(id)/start", query: [], body: start, tty: tty)
        if tty && interactive { stream.detachKeys = keys }
        var terminal = TerminalMode()
        if tty {
            if interactive { terminal.makeRaw() }
            if let (h, w) = TerminalMode.size() {
                _ = try? API(client: try UnixHTTPClient(socketPath: socket)).call("POST", "/exec/\(id)/resize", query: [("h", "\(h)"), ("w", "\(w)")])
            }
        }
        if interactive { stream.forwardStdin() } else { try? stream.connection.closeWrite() }
        stream.pumpOutput()
        terminal.restore()
        // The exec runs on; docker reports the detach as this error.
        if stream.detached { throw CLIError("read escape sequence") }
        let info = try API(client: try UnixHTTPClient(socketPath: socket)).json("GET", "/exec/\(id)/json") as? [String: Any] ?? [:]
        Glibc.exit(Int32((info["ExitCode"] as? NSNumber)?.intValue ?? 126))
    }
}
